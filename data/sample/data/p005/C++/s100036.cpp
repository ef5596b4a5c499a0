#include <stdio.h>

int main() {
    long long n, i, ans = 1, mod = 1000000007;
    scanf("%lld", &n);
    for (i = n; i > 1; i--) ans = (ans * i) % mod;
    printf("%lld\n", ans);
    return 0;
}
