/* cfdpo's Landlock launcher: restrict the file system, TCP and signals of a program, then exec it.
 *
 *   landlock_exec [--ro PATH]... [--rw PATH]... [--file PATH]... -- PROGRAM ARGS...
 *
 * --ro: read and execute beneath PATH; --rw: also write, create and remove beneath PATH; --file: read and
 * write one file (e.g. /dev/null). Everything else is denied: other files, TCP bind/connect (Landlock ABI
 * >= 4), abstract UNIX sockets and signals to processes outside the sandbox (ABI >= 6). No privileges are
 * needed (Linux >= 5.13 with Landlock enabled). Exits 125 when Landlock is unavailable or a rule cannot be
 * added: the caller then refuses to run (fail closed), never runs the program unrestricted.
 * Built once per process by cfdpo.scoring.landlock (g++ -x c); plain C, no headers beyond libc's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef PR_SET_NO_NEW_PRIVS
#define PR_SET_NO_NEW_PRIVS 38
#endif

struct ruleset_attr { uint64_t fs, net, scoped; };
struct path_beneath { uint64_t allowed; int32_t fd; } __attribute__((packed));

#define FS_EXECUTE (1ULL << 0)
#define FS_WRITE_FILE (1ULL << 1)
#define FS_READ_FILE (1ULL << 2)
#define FS_READ_DIR (1ULL << 3)
#define FS_TRUNCATE (1ULL << 14)

static long create_ruleset(const struct ruleset_attr *a, size_t size, uint32_t flags) {
    return syscall(444, a, size, flags);
}
static long add_rule(int fd, const struct path_beneath *r) { return syscall(445, fd, 1, r, 0); }
static long restrict_self(int fd) { return syscall(446, fd, 0); }

int main(int argc, char **argv) {
    long abi = create_ruleset(NULL, 0, 1); /* LANDLOCK_CREATE_RULESET_VERSION */
    if (abi < 1) {
        fprintf(stderr, "landlock_exec: Landlock unavailable: %s\n", strerror(errno));
        return 125;
    }
    uint64_t all = (1ULL << 13) - 1;            /* ABI 1: execute .. make_sym */
    if (abi >= 2) all |= 1ULL << 13;           /* refer */
    if (abi >= 3) all |= FS_TRUNCATE;
    if (abi >= 5) all |= 1ULL << 15;           /* ioctl_dev */
    struct ruleset_attr attr = {all, 0, 0};
    size_t size = 8;
    if (abi >= 4) { attr.net = 3; size = 16; }  /* bind_tcp | connect_tcp */
    if (abi >= 6) { attr.scoped = 3; size = 24; } /* abstract unix socket | signal */
    int rs = (int)create_ruleset(&attr, size, 0);
    if (rs < 0) {
        fprintf(stderr, "landlock_exec: create_ruleset: %s\n", strerror(errno));
        return 125;
    }
    uint64_t file_rights = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | (abi >= 3 ? FS_TRUNCATE : 0);
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) { i++; break; }
        if (i + 1 >= argc) { fprintf(stderr, "landlock_exec: %s needs a path\n", argv[i]); return 125; }
        uint64_t rights;
        if (strcmp(argv[i], "--ro") == 0) rights = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR;
        else if (strcmp(argv[i], "--rw") == 0) rights = all;
        else if (strcmp(argv[i], "--file") == 0) rights = file_rights;
        else { fprintf(stderr, "landlock_exec: unknown option %s\n", argv[i]); return 125; }
        const char *path = argv[++i];
        int fd = open(path, O_PATH | O_CLOEXEC);
        if (fd < 0) continue; /* a path that does not exist grants nothing */
        struct stat st;
        if (fstat(fd, &st) != 0) { close(fd); continue; }
        if (!S_ISDIR(st.st_mode)) rights &= file_rights; /* a file takes file rights only */
        struct path_beneath rule = {rights & all, fd};
        if (add_rule(rs, &rule) != 0) {
            fprintf(stderr, "landlock_exec: rule for %s: %s\n", path, strerror(errno));
            return 125;
        }
        close(fd);
    }
    if (i >= argc) { fprintf(stderr, "landlock_exec: no program\n"); return 125; }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || restrict_self(rs) != 0) {
        fprintf(stderr, "landlock_exec: restrict_self: %s\n", strerror(errno));
        return 125;
    }
    close(rs);
    execv(argv[i], argv + i);
    fprintf(stderr, "landlock_exec: cannot exec %s: %s\n", argv[i], strerror(errno));
    return 127;
}
