#include <stdio.h>

int main() {
    int n, i;
    long long x, cur = 0, best = 0;
    int first = 1;
    scanf("%d", &n);
    for (i = 0; i < n; i++) {
        scanf("%lld", &x);
        cur = (cur > 0 ? cur : 0) + x;
        if (first || cur > best) {
            best = cur;
            first = 0;
        }
    }
    printf("%lld\n", best);
    return 0;
}
