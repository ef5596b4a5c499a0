#include <stdio.h>

int main() {
    int n, i, j, x;
    long long s = 0;
    scanf("%d", &n);
    for (i = 0; i < n; i++) {
        for (j = 0; j < n; j++) {
            scanf("%d", &x);
            s += (i == j) ? x : 0;
        }
    }
    printf("%lld\n", s);
    return 0;
}
