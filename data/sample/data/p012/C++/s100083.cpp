#include <cstdio>
#include <cstring>

int main() {
    char s[1005];
    if (!fgets(s, sizeof s, stdin)) return 0;
    int c = 0;
    for (int i = 0; s[i]; i++)
        if (strchr("aeiou", s[i]) && s[i] != '\0') c++;
    printf("%d\n", c);
    return 0;
}
