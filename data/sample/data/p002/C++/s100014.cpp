#include <stdio.h>
#define MAXN 100005
int a[MAXN];

int main() {
    int n, i, m;
    scanf("%d", &n);
    for (i = 0; i < n; i++) scanf("%d", &a[i]);
    m = a[0];
    for (i = 1; i < n; i++)
        if (a[i] > m) m = a[i];
    printf("%d\n", m);
    return 0;
}
