#include <stdio.h>

long long gcd(long long a, long long b) {
    long long r;
    while (b != 0) {
        r = a % b;
        a = b;
        b = r;
    }
    return a;
}

long long lcm(long long a, long long b) {
    return a / gcd(a, b) * b;
}

int main() {
    long long a, b;
    scanf("%lld%lld", &a, &b);
    printf("%lld %lld\n", gcd(a, b), lcm(a, b));
    return 0;
}
