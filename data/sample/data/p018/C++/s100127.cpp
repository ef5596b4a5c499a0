#include <stdio.h>

int main() {
    long long a, b, m, r, x;
    scanf("%lld%lld%lld", &a, &b, &m);
    r = 1 % m;
    x = a % m;
    while (b > 0) {
        if (b % 2) r = r * x % m;
        x = x * x % m;
        b /= 2;
    }
    printf("%lld\n", r);
    return 0;
}
