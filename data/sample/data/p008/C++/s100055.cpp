#include <cstdio>

int main() {
    long long a, b, x, y, t;
    scanf("%lld %lld", &a, &b);
    x = a;
    y = b;
    while (y) {
        t = x % y;
        x = y;
        y = t;
    }
    printf("%lld %lld\n", x, a / x * b);
    return 0;
}
