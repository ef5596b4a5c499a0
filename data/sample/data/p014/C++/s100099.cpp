#include <stdio.h>

int main() {
    unsigned long long n;
    int i, started = 0;
    scanf("%llu", &n);
    for (i = 63; i >= 0; i--) {
        if ((n >> i) & 1ULL) started = 1;
        if (started) putchar(((n >> i) & 1ULL) ? '1' : '0');
    }
    putchar('\n');
    return 0;
}
