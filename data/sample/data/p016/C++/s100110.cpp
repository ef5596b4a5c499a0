#include <cstdio>

long long pre[200005];

int main() {
    int n, q, l, r;
    scanf("%d", &n);
    for (int i = 1; i <= n; i++) {
        long long x;
        scanf("%lld", &x);
        pre[i] = pre[i - 1] + x;
    }
    scanf("%d", &q);
    while (q--) {
        scanf("%d %d", &l, &r);
        printf("%lld\n", pre[r] - pre[l - 1]);
    }
    return 0;
}
