#include <stdio.h>
#include <string.h>

int main() {
    char s[100005];
    int i, n, bad = 0;
    scanf("%100000s", s);
    n = (int)strlen(s);
    for (i = 0; i < n; i++) {
        if (s[i] != s[n - i - 1]) {
            bad = 1;
            break;
        }
    }
    printf("%s\n", bad ? "NO" : "YES");
    return 0;
}
