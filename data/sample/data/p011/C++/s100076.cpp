#include <cstdio>

int digitSum(unsigned long long n) {
    return n == 0 ? 0 : (int)(n % 10) + digitSum(n / 10);
}

int main() {
    unsigned long long n;
    scanf("%llu", &n);
    printf("%d\n", digitSum(n));
    return 0;
}
