#include <cstdio>
#include <cctype>

int main() {
    int ch, words = 0, inWord = 0;
    while ((ch = getchar()) != EOF && ch != '\n') {
        if (isspace(ch)) {
            inWord = 0;
        } else if (!inWord) {
            inWord = 1;
            words++;
        }
    }
    printf("%d\n", words);
    return 0;
}
