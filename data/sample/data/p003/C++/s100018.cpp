#include <cstdio>

int main() {
    int n, x, even = 0;
    scanf("%d", &n);
    while (n-- > 0) {
        scanf("%d", &x);
        even += (x & 1) == 0;
    }
    printf("%d\n", even);
    return 0;
}
