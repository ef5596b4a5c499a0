#include <cstdio>

void printBin(unsigned long long n) {
    if (n > 1) printBin(n >> 1);
    putchar('0' + (int)(n & 1));
}

int main() {
    unsigned long long n;
    scanf("%llu", &n);
    printBin(n);
    putchar('\n');
    return 0;
}
