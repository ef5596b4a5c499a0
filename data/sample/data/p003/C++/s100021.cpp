#include <stdio.h>

int main() {
    int n, i, a, odd = 0;
    scanf("%d", &n);
    for (i = 0; i < n; i++) {
        scanf("%d", &a);
        if (a % 2 != 0) odd++;
    }
    printf("%d\n", n - odd);
    return 0;
}
