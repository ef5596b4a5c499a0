#include <iostream>

int main() {
    int n;
    std::cin >> n;
    long long sum = 0;
    for (int k = 0; k < n * n; ++k) {
        int v;
        std::cin >> v;
        if (k / n == k % n) sum += v;
    }
    std::cout << sum << std::endl;
    return 0;
}
