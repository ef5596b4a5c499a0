#include <stdio.h>

int main() {
    char buf[64];
    int i, s = 0;
    scanf("%63s", buf);
    for (i = 0; buf[i]; i++) s += buf[i] - '0';
    printf("%d\n", s);
    return 0;
}
