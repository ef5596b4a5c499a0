#include <stdio.h>

int main() {
    int ch, cnt = 0;
    while ((ch = getchar()) != EOF) {
        if (ch == 'a' || ch == 'e' || ch == 'i' || ch == 'o' || ch == 'u') cnt++;
    }
    printf("%d\n", cnt);
    return 0;
}
