#include <cstdio>
#define MOD 1000000007

int main() {
    int n;
    scanf("%d", &n);
    long long r = 1;
    for (int i = 1; i <= n; ++i) {
        r *= i;
        r %= MOD;
    }
    printf("%lld\n", r);
    return 0;
}
