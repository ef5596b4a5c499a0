#include <cstdio>

typedef unsigned long long ull;

ull mpow(ull a, ull b, ull m) {
    if (b == 0) return 1 % m;
    ull h = mpow(a, b / 2, m);
    h = h * h % m;
    if (b % 2) h = h * (a % m) % m;
    return h;
}

int main() {
    ull a, b, m;
    scanf("%llu %llu %llu", &a, &b, &m);
    printf("%llu\n", mpow(a, b, m));
    return 0;
}
