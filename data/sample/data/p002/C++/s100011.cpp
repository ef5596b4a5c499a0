#include <cstdio>
#include <algorithm>

int main() {
    int n;
    scanf("%d", &n);
    int best, x;
    scanf("%d", &best);
    for (int i = 1; i < n; ++i) {
        scanf("%d", &x);
        best = std::max(best, x);
    }
    printf("%d\n", best);
    return 0;
}
