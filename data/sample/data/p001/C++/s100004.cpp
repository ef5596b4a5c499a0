#include <iostream>

long long add(long long x, long long y) {
    return x + y;
}

int main() {
    long long a = 0, b = 0;
    std::cin >> a >> b;
    std::cout << add(a, b) << '\n';
    return 0;
}
