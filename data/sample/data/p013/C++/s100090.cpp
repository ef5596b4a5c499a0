#include <cstdio>

int a[505][505];

int main() {
    int n;
    scanf("%d", &n);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) scanf("%d", &a[i][j]);
    long long s = 0;
    for (int i = 0; i < n; i++) s += a[i][i];
    printf("%lld\n", s);
    return 0;
}
