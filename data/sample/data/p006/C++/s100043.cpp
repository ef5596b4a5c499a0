#include <stdio.h>

long long fib(int n) {
    long long x = 0, y = 1, t;
    while (n--) {
        t = x + y;
        x = y;
        y = t;
    }
    return x;
}

int main() {
    int n;
    scanf("%d", &n);
    printf("%lld\n", fib(n));
    return 0;
}
