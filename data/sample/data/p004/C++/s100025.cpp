#include <cstdio>
#include <cstring>

char buf[100005];

int main() {
    scanf("%s", buf);
    int n = strlen(buf);
    for (int i = 0, j = n - 1; i < j; i++, j--) {
        char t = buf[i];
        buf[i] = buf[j];
        buf[j] = t;
    }
    printf("%s\n", buf);
    return 0;
}
