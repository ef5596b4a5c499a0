#include <cstdio>
#include <algorithm>

int main() {
    int n;
    scanf("%d", &n);
    long long x, cur, best;
    scanf("%lld", &x);
    cur = best = x;
    for (int i = 1; i < n; i++) {
        scanf("%lld", &x);
        cur = std::max(x, cur + x);
        best = std::max(best, cur);
    }
    printf("%lld\n", best);
    return 0;
}
