"""Execution scorer and the hostile-program suite: g++ really builds, the programs really run.

Every hostile program must end with its own verdict within its limits, leave the
world outside its temporary directory unchanged, keep file contents from
outside out of the stored result, and let the rest of the batch carry on.
Isolation that needs namespaces (no network, no view of /etc or /tmp) is
asserted when bubblewrap is usable; where it is not, those tests skip and say so.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from cfdpo.scoring import CompileScorer
from cfdpo.scoring.execution import ExecutionScorer, ExecVerdict, TestCase, outputs_match, row_tests
from cfdpo.scoring.sandbox import Limits, bwrap_usable

ADD = TestCase("3 4\n", "7\n")

SUM = '#include <iostream>\nint main(){int a,b;std::cin>>a>>b;std::cout<<a+b<<"\\n";}\n'

needs_bwrap = pytest.mark.skipif(
    not bwrap_usable(),
    reason="bubblewrap missing or namespaces not allowed here: "
    "rlimits-only fallback does not isolate the file system or the network",
)


@pytest.fixture(scope="module")
def work_root(tmp_path_factory) -> str:
    """Where the scorers make their temporary directories (checked empty after each batch)."""
    return str(tmp_path_factory.mktemp("scratch"))


@pytest.fixture(scope="module")
def scorer(work_root: str) -> ExecutionScorer:
    cs = CompileScorer(timeout_s=20, memory_mb=1024, tmp_root=work_root)
    return ExecutionScorer(cs, time_limit_s=1, memory_mb=256, output_limit_kb=256, max_processes=16)


def test_outputs_match_tokens_and_floats() -> None:
    assert outputs_match("1  2\n3\n", "1 2 3")
    assert not outputs_match("1 2", "1 2 3")
    assert not outputs_match("0.3333", "0.333333")
    assert outputs_match("0.3333", "0.333333", float_tolerance=1e-3)
    assert not outputs_match("abc", "abd", float_tolerance=1e-3)


def test_pass_and_wrong_answer_multiple_cases(scorer: ExecutionScorer) -> None:
    cases = [ADD, TestCase("10 -3\n", "7\n"), TestCase("0 0", "0")]
    r = scorer.run(SUM, cases)
    assert r.verdict is ExecVerdict.PASS and r.passed == 3 and r.total == 3
    assert [t.verdict for t in r.tests] == [ExecVerdict.PASS] * 3
    wrong = scorer.run(SUM.replace("a+b", "a-b"), cases)
    assert wrong.verdict is ExecVerdict.WRONG_ANSWER and wrong.passed == 0
    assert wrong.tests[0].stdout.strip() == "-1"


def test_not_built_keeps_compile_verdict(scorer: ExecutionScorer) -> None:
    r = scorer.run("int main() { return x; }\n", [ADD])
    assert r.verdict is ExecVerdict.NOT_BUILT
    assert r.compile.verdict.value == "error" and r.tests == []


def test_row_tests_reads_lists_and_samples() -> None:
    assert row_tests({"tests": json.dumps([{"input": "1", "output": "2"}])}) == [TestCase("1", "2")]
    assert row_tests({"tests": [], "sample_input": "a", "sample_output": "b"}) == [TestCase("a", "b")]
    assert row_tests({"sample_input": None, "sample_output": None}) == []


# ------------------------------------------------------------------------------------------- hostile suite
RUN_HOSTILE = {
    "fork_bomb": ("#include <unistd.h>\nint main(){for(;;) fork();}\n", {ExecVerdict.TIME_LIMIT}),
    "infinite_loop": ("int main(){volatile unsigned long x=0; for(;;) x++;}\n", {ExecVerdict.TIME_LIMIT}),
    "sleep_forever": ("#include <unistd.h>\nint main(){for(;;) sleep(100);}\n", {ExecVerdict.TIME_LIMIT}),
    "alloc_10gb": (
        '#include <vector>\n#include <cstdio>\nint main(){std::vector<char> v(10ull<<30); printf("%d",v[7]);}\n',
        {ExecVerdict.MEMORY_LIMIT},
    ),
    "output_1gb": ("#include <cstdio>\nint main(){for(long i=0;i<(1L<<30);i++) putchar(65);}\n", {ExecVerdict.OUTPUT_LIMIT}),
    "segfault": ("int main(){volatile int*p=nullptr; return *p;}\n", {ExecVerdict.RUNTIME_ERROR}),
    # a detached thread per loop: RLIMIT_NPROC counts threads, so std::thread throws and the program aborts
    "thread_bomb": (
        "#include <thread>\n#include <unistd.h>\nint main(){ for(;;) std::thread([]{ for(;;) pause(); }).detach(); }\n",
        {ExecVerdict.RUNTIME_ERROR},
    ),
    # double fork + setsid: the grandchild outlives its parent (and names itself, so the test can look for it);
    # nothing of it may outlive the verdict
    "daemon": (
        "#include <unistd.h>\n#include <cstdio>\n#include <sys/prctl.h>\nint main(){ fflush(stdout); if(fork()==0)"
        '{ setsid(); if(fork()==0){ prctl(PR_SET_NAME, "cfdpo-daemon"); for(;;) sleep(1); } _exit(0); }'
        ' usleep(200000); printf("7\\n"); }\n',
        {ExecVerdict.PASS},
    ),
}
#: kill(-1, SIGKILL): every process the caller may signal. Contained by the PID namespace (bwrap), by the
#: unprivileged uid (rlimits as root) or by Landlock's signal scope (rlimits, Landlock ABI >= 6); as a non-root
#: user with neither it would reach the user's own processes.
KILL_ALL = '#include <signal.h>\n#include <cstdio>\nint main(){ kill(-1, SIGKILL); printf("7\\n"); }\n'


def _comms() -> list[str]:
    out = []
    for pid in os.listdir("/proc"):
        try:
            out.append(Path(f"/proc/{pid}/comm").read_text().strip())
        except OSError:
            continue
    return out


def test_the_survivor_check_sees_a_daemon_left_running(work_root: str) -> None:
    """The check above can fail: the same daemon started outside the scorer is found by it."""
    src = RUN_HOSTILE["daemon"][0]
    exe = Path(work_root) / "daemon"
    subprocess.run(["g++", "-x", "c++", "-", "-o", str(exe)], input=src.encode(), check=True)
    subprocess.run([str(exe)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 5
        while "cfdpo-daemon" not in _comms() and time.time() < deadline:
            time.sleep(0.05)
        assert "cfdpo-daemon" in _comms()
    finally:
        subprocess.run(["pkill", "-KILL", "-x", "cfdpo-daemon"], check=False)
        exe.unlink()


@pytest.mark.parametrize("isolation", ["auto", "rlimits"])
def test_hostile_runtime_programs_end_with_their_verdicts(isolation: str, work_root: str) -> None:
    """Limits hold with namespaces and in the rlimits-only fallback alike."""
    cs = CompileScorer(timeout_s=20, memory_mb=1024, tmp_root=work_root, isolation=isolation)
    scorer = ExecutionScorer(cs, time_limit_s=1, memory_mb=256, output_limit_kb=256, max_processes=16, isolation=isolation)
    hostile = dict(RUN_HOSTILE)
    from cfdpo.scoring.landlock import landlock_abi

    # contained by the PID namespace, the unprivileged uid (root), or Landlock's signal scope (ABI >= 6)
    if scorer.sandbox.kind == "bwrap" or os.geteuid() == 0 or (scorer.sandbox.landlock and landlock_abi() >= 6):
        hostile["kill_all"] = (KILL_ALL, {ExecVerdict.PASS, ExecVerdict.RUNTIME_ERROR, ExecVerdict.WRONG_ANSWER})
    names = list(hostile) + ["ok"]
    sources = [hostile[n][0] for n in hostile] + [SUM]
    bystander = subprocess.Popen(["sleep", "120"])  # a process outside the sandbox that must survive
    t0 = time.time()
    results = scorer.run_many(sources, [[ADD]] * len(sources), workers=2)
    wall = time.time() - t0
    assert bystander.poll() is None, "a sandboxed program killed a process outside"
    bystander.kill()
    for name, r in zip(names, results):
        assert r.compile.good, (name, r.compile.stderr[:300])
        want = hostile[name][1] if name in hostile else {ExecVerdict.PASS}
        assert r.verdict in want, (name, r.verdict, r.tests)
        assert all(t.elapsed_ms <= 1000 * scorer.wall_limit_s + 2000 for t in r.tests), name
        assert len(r.tests[0].stdout) <= scorer.keep_output_chars
    assert results[-1].ok  # the rest of the batch carried on
    assert wall < 120
    assert os.listdir(work_root) == []  # every temp dir removed
    lo = scorer.uid_base
    assert not [p for p in os.popen("ps -eo uid=").read().split() if p.isdigit() and lo <= int(p) < lo + 64]
    assert "cfdpo-daemon" not in _comms(), "the setsid daemon survived its verdict"


def _contained(isolation: str, work_root: str) -> ExecutionScorer:
    """A scorer whose programs cannot reach files or the network: bwrap, or rlimits with Landlock (else skip)."""
    cs = CompileScorer(timeout_s=20, memory_mb=1024, tmp_root=work_root, isolation=isolation)
    ex = ExecutionScorer(cs, time_limit_s=1, memory_mb=256, output_limit_kb=256, isolation=isolation)
    if ex.sandbox.kind == "rlimits" and not ex.sandbox.landlock:
        pytest.skip("rlimits without Landlock (kernel < 5.13 or Landlock off) does not isolate files or network")
    return ex


CONTAINED = pytest.mark.parametrize("isolation", ["auto", "rlimits"])


@CONTAINED
def test_no_network(isolation: str, work_root: str) -> None:
    scorer = _contained(isolation, work_root)
    src = (
        "#include <sys/socket.h>\n#include <netinet/in.h>\n#include <arpa/inet.h>\n#include <cstdio>\n"
        "int main(){int s=socket(AF_INET,SOCK_STREAM,0); sockaddr_in a{}; a.sin_family=AF_INET;"
        ' a.sin_port=htons(80); inet_pton(AF_INET,"1.1.1.1",&a.sin_addr);'
        ' int r=connect(s,(sockaddr*)&a,sizeof a); printf("%s\\n", r==0 ? "connected" : "blocked");}\n'
    )
    r = scorer.run(src, [TestCase("", "blocked")])
    assert r.verdict is ExecVerdict.PASS, r.tests


@CONTAINED
def test_writes_outside_the_temp_dir_fail(isolation: str, work_root: str, tmp_path) -> None:
    """Every write fails but one: the empty private ``/tmp`` a bubblewrap sandbox gets is writable when cfdpo
    runs as an ordinary user (the user namespace owns it); it vanishes with the sandbox, so only the host
    paths are checked for existence."""
    scorer = _contained(isolation, work_root)
    targets = [
        str(tmp_path / "escape.txt"),
        os.path.expanduser("~/cfdpo-escape.txt"),
        "../escape.txt",
        "escape.txt",
        os.path.join(work_root, "escape.txt"),
        "/tmp/cfdpo-escape.txt",
    ]
    os.chmod(tmp_path, 0o777)
    lits = ",".join(json.dumps(t) for t in targets)
    src = (
        "#include <cstdio>\nint main(){const char* p[]={" + lits + "};"
        ' for(auto q:p){FILE*f=fopen(q,"w"); if(f){fputs("x",f);fclose(f);} putchar(f ? 49 : 48);} puts("");}\n'
    )
    private_tmp = scorer.sandbox.kind == "bwrap" and os.geteuid() != 0
    r = scorer.run(src, [TestCase("", "00000" + ("1" if private_tmp else "0"))])
    assert r.verdict is ExecVerdict.PASS, r.tests
    for t in targets:
        if os.path.isabs(t):  # nothing reached the host (the relative ones were inside the removed temp dir)
            assert not os.path.exists(t), t


@CONTAINED
def test_reading_files_outside_leaks_nothing(isolation: str, work_root: str) -> None:
    scorer = _contained(isolation, work_root)
    secret = Path("/etc/passwd").read_text().splitlines()[0]
    src = (
        '#include <cstdio>\nint main(){FILE*f=fopen("/etc/passwd","r"); int c;'
        ' if(!f){puts("none");return 0;} while((c=fgetc(f))!=EOF) putchar(c);}\n'
    )
    r = scorer.run(src, [TestCase("", "none")])
    assert r.verdict is ExecVerdict.PASS
    assert secret not in json.dumps(r.to_dict())


INCBIN = (
    'asm(".section .rodata\\n.global blob\\nblob:\\n.incbin \\"/etc/passwd\\"\\n.byte 0\\n.text");\n'
    'extern "C" const char blob[];\n#include <cstdio>\nint main(){ fputs(blob, stdout); }\n'
)


@pytest.mark.parametrize("isolation", ["auto", "rlimits"])
def test_incbin_of_a_file_outside(isolation: str, work_root: str) -> None:
    """``.incbin`` reads a file at assembly time; the program then prints it at run time.

    With bwrap the assembler cannot see /etc: the build fails and nothing leaks. The rlimits-only fallback
    cannot contain it (the compiler reads what its uid can read): this test pins that down, and README's
    isolation table lists it.
    """
    cs = CompileScorer(timeout_s=20, memory_mb=1024, tmp_root=work_root, isolation=isolation)
    scorer = ExecutionScorer(cs, time_limit_s=1, memory_mb=256, output_limit_kb=256, isolation=isolation)
    secret = Path("/etc/passwd").read_text().splitlines()[0]
    r = scorer.run(INCBIN, [TestCase("", "x")])
    leaked = secret in json.dumps(r.to_dict())
    if cs.sandbox.kind == "bwrap" or cs.sandbox.landlock:  # the assembler cannot open /etc/passwd
        assert r.verdict is ExecVerdict.NOT_BUILT and not leaked
        assert "file not found: /etc/passwd" in r.compile.stderr  # the assembler could not open it
    else:
        assert leaked, "rlimits without Landlock now contains .incbin: update README's isolation table"
    assert os.listdir(work_root) == []


def _constexpr_for_minutes() -> str:
    """300 constexpr evaluations of about a second each, every one under GCC's loop and operation limits."""
    body = "constexpr long f(long k){ long s=0; for(long i=0;i<1000;i++) for(long j=0;j<1000;j++) s+=i^j^k; return s; }\n"
    return body + "".join(f"constexpr long x{k} = f({k});\n" for k in range(300)) + "int main(){ return x0 & 1; }\n"


COMPILE_HOSTILE = {
    "template_recursion": "template<int N> struct F { enum { v = F<N+1>::v }; };\nint main(){ return F<0>::v; }\n",
    "preprocessor_bomb": (
        "#define A(x) x x x x x x x x x x\n#define B(x) A(A(A(A(A(A(A(A(x))))))))\nB(B(B(int a;)))\nint main(){}\n"
    ),
    "dev_zero": "#include </dev/zero>\nint main(){}\n",
    "dev_stdin": "#include </dev/stdin>\nint main(){}\n",
    "etc_passwd": '#include "/etc/passwd"\nint main(){}\n',
    "proc_environ": "#include </proc/self/environ>\nint main(){}\n",
    "constexpr_minutes": _constexpr_for_minutes(),
    "huge_static_array": "char a[3000000000] = {1};\nint main(){ return a[12345]; }\n",
}


@pytest.mark.parametrize("isolation", ["auto", "rlimits"])
def test_hostile_compiles_end_and_leak_nothing(isolation: str, work_root: str, monkeypatch) -> None:
    monkeypatch.setenv("CFDPO_TEST_SECRET", "s3cr3t-in-the-environment")
    cs = CompileScorer(timeout_s=5, memory_mb=1024, tmp_root=work_root, isolation=isolation)
    secret = Path("/etc/passwd").read_text().splitlines()[0]
    srcs = list(COMPILE_HOSTILE.values()) + ["int main(){}\n"]
    t0 = time.time()
    results = cs.score_many(srcs, workers=2)
    assert time.time() - t0 < 60
    by = dict(zip(list(COMPILE_HOSTILE) + ["ok"], results))
    assert by["ok"].good
    # one verdict each; two kinds depend on what the isolation lets the compiler open, and say so
    confined = cs.sandbox.kind == "rlimits" and cs.sandbox.landlock  # Landlock: /dev and /proc are closed
    want = {
        "template_recursion": "error",
        "preprocessor_bomb": "resource_limit",  # g++ runs out of its 1 GiB address space ("memory exhausted")
        "dev_zero": "error" if confined else "resource_limit",  # Landlock: cannot open; else reads zeros until the limit
        "dev_stdin": "ok",  # stdin is closed: an empty include
        "etc_passwd": "error",
        "proc_environ": "error" if confined else "ok",  # else an empty include: the environment is cleared
        "constexpr_minutes": "timeout",
        "huge_static_array": "resource_limit",  # a 3 GB .data: the file-size limit (SIGXFSZ in the assembler)
        "ok": "ok",
    }
    assert {k: r.verdict.value for k, r in by.items()} == want
    for name, r in by.items():
        assert not r.good or name in ("ok", "dev_stdin", "proc_environ")
        assert "s3cr3t-in-the-environment" not in json.dumps(r.to_dict()), name
        if cs.sandbox.kind == "bwrap":
            assert secret not in json.dumps(r.to_dict()), name
    assert os.listdir(work_root) == []


def test_limits_flags() -> None:
    flags = Limits(cpu_s=1.5, memory_mb=64, output_mb=1, processes=8, open_files=32).prlimit_flags()
    assert f"--as={64 << 20}" in flags and f"--fsize={1 << 20}" in flags
    assert "--cpu=2:3" in flags and "--nproc=8" in flags and "--nofile=32" in flags and "--core=0" in flags


def test_auto_refuses_to_run_programs_without_namespaces(monkeypatch) -> None:
    """Fail closed: without bubblewrap, running model-written code needs --isolation rlimits said explicitly."""
    from cfdpo.scoring import sandbox
    from cfdpo.scoring.sandbox import SandboxRefused

    monkeypatch.setattr(sandbox, "bwrap_usable", lambda: False)
    with pytest.raises(SandboxRefused, match=r"^--isolation auto: bubblewrap cannot run here"):
        ExecutionScorer(CompileScorer(isolation="rlimits"), isolation="auto")
    assert ExecutionScorer(CompileScorer(isolation="rlimits"), isolation="rlimits").sandbox.kind == "rlimits"
    assert CompileScorer(isolation="auto").sandbox.kind == "rlimits"  # compiling alone falls back, with a warning


STATUS = (
    '#include <cstdio>\n#include <cstring>\nint main(){ FILE*f=fopen("/proc/self/status","r"); char l[256];'
    ' while(f && fgets(l, sizeof l, f)) if(!strncmp(l,"Uid:",4)||!strncmp(l,"CapEff:",7)) fputs(l, stdout); }\n'
)
#: g++ runs each of its subprocesses (cc1plus, as, collect2) under this wrapper: a shell that prints its own
#: credentials, then becomes the subprocess; so the compile sandbox reports on itself
SPY = ("-wrapper", '/bin/sh,-c,grep -E \'^(Uid|CapEff):\' /proc/self/status >&2; exec "$0" "$@"')


def _creds(text: str) -> tuple[list[str], list[str]]:
    uids = [ln.split()[1] for ln in text.splitlines() if ln.startswith("Uid:")]
    caps = [ln.split()[1] for ln in text.splitlines() if ln.startswith("CapEff:")]
    return uids, caps


@needs_bwrap
@pytest.mark.skipif(os.geteuid() != 0, reason="the uid and capability drop applies when cfdpo runs as root")
def test_inside_bwrap_compiles_and_runs_have_no_root_and_no_capabilities(work_root: str) -> None:
    """Read from inside: the compiler's subprocesses and the program print their Uid and CapEff lines."""
    spy = CompileScorer(timeout_s=20, tmp_root=work_root, isolation="bwrap", extra_flags=SPY, pch=False, fast_link=False)
    uids, caps = _creds(spy.score("int main(){}\n").stderr)
    assert uids and caps, "the wrapper printed nothing"
    assert set(caps) == {"0000000000000000"} and "0" not in uids
    assert os.geteuid() == 0 and _creds(Path("/proc/self/status").read_text())[1] != ["0000000000000000"]
    ex = ExecutionScorer(CompileScorer(timeout_s=20, tmp_root=work_root, isolation="bwrap"), time_limit_s=1, isolation="bwrap")
    r = ex.run(STATUS, [TestCase("", "x")])
    run_uids, run_caps = _creds(r.tests[0].stdout)
    assert run_caps == ["0000000000000000"] and run_uids and run_uids[0] != "0", r.tests[0].stdout
