#include <cstdio>
#include <algorithm>

int a[200005];

int main() {
    int n;
    scanf("%d", &n);
    for (int i = 0; i < n; i++) scanf("%d", &a[i]);
    std::sort(a, a + n);
    int d = n > 0;
    for (int i = 1; i < n; i++)
        if (a[i] != a[i - 1]) d++;
    printf("%d\n", d);
    return 0;
}
