#include <cstdio>
#include <algorithm>

int a[100005];

int main() {
    int n;
    scanf("%d", &n);
    for (int i = 0; i < n; i++) scanf("%d", &a[i]);
    std::sort(a, a + n);
    int i = n - 1;
    while (i > 0 && a[i - 1] == a[n - 1]) i--;
    printf("%d\n", a[i - 1]);
    return 0;
}
