#include <stdio.h>
#include <stdlib.h>

int main() {
    int n, q, i, l, r;
    scanf("%d", &n);
    long long *p = (long long *)calloc(n + 1, sizeof(long long));
    for (i = 1; i <= n; i++) {
        long long x;
        scanf("%lld", &x);
        p[i] = p[i - 1] + x;
    }
    scanf("%d", &q);
    for (i = 0; i < q; i++) {
        scanf("%d%d", &l, &r);
        printf("%lld\n", p[r] - p[l - 1]);
    }
    free(p);
    return 0;
}
