#include <stdio.h>
#include <math.h>

int main() {
    int t;
    long long n, i, lim;
    int flag;
    scanf("%d", &t);
    while (t--) {
        scanf("%lld", &n);
        flag = (n >= 2);
        lim = (long long)sqrt((double)n) + 1;
        for (i = 2; i <= lim && i < n; i++) {
            if (n % i == 0) {
                flag = 0;
                break;
            }
        }
        printf(flag ? "YES\n" : "NO\n");
    }
    return 0;
}
