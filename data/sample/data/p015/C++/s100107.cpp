#include <stdio.h>

int main() {
    int n, i, x, m1, m2, have2 = 0;
    scanf("%d", &n);
    scanf("%d", &m1);
    m2 = m1;
    for (i = 1; i < n; i++) {
        scanf("%d", &x);
        if (x > m1) {
            m2 = m1;
            m1 = x;
            have2 = 1;
        } else if (x < m1 && (!have2 || x > m2)) {
            m2 = x;
            have2 = 1;
        }
    }
    printf("%d\n", m2);
    return 0;
}
