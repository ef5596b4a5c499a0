#include <iostream>
#include <string>

std::string answer(long long n) {
    if (n < 2) return "NO";
    for (long long d = 2; d <= n / d; ++d) {
        if (n % d == 0) return "NO";
    }
    return "YES";
}

int main() {
    int t;
    std::cin >> t;
    while (t-- > 0) {
        long long n;
        std::cin >> n;
        std::cout << answer(n) << '\n';
    }
    return 0;
}
