#include <cstdio>
#include <cstring>

char s[100005];

int main() {
    scanf("%s", s);
    int n = strlen(s), ok = 1;
    for (int i = 0; i < n / 2; i++)
        if (s[i] != s[n - 1 - i]) ok = 0;
    puts(ok ? "YES" : "NO");
    return 0;
}
