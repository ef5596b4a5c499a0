#include <stdio.h>
#include <string.h>

int main() {
    char buf[10005];
    int count = 0;
    char *tok;
    if (fgets(buf, sizeof(buf), stdin) == NULL) {
        printf("0\n");
        return 0;
    }
    tok = strtok(buf, " \t\r\n");
    while (tok != NULL) {
        count++;
        tok = strtok(NULL, " \t\r\n");
    }
    printf("%d\n", count);
    return 0;
}
