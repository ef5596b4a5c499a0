#include <iostream>
#include <vector>

int main() {
    long long n;
    std::cin >> n;
    std::vector<int> bits;
    do {
        bits.push_back(n & 1);
        n >>= 1;
    } while (n);
    for (auto it = bits.rbegin(); it != bits.rend(); ++it) std::cout << *it;
    std::cout << '\n';
    return 0;
}
