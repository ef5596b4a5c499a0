#include <stdio.h>
#include <stdlib.h>

int cmp(const void *p, const void *q) {
    long long a = *(const long long *)p, b = *(const long long *)q;
    return a < b ? -1 : (a > b);
}

int main() {
    int n, i, d = 0;
    scanf("%d", &n);
    long long *a = (long long *)malloc(sizeof(long long) * (n + 1));
    for (i = 0; i < n; i++) scanf("%lld", &a[i]);
    qsort(a, n, sizeof(long long), cmp);
    for (i = 0; i < n; i++)
        if (i == 0 || a[i] != a[i - 1]) d++;
    printf("%d\n", d);
    free(a);
    return 0;
}
