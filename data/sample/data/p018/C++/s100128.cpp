#include <iostream>
#include <cstdint>

std::uint64_t modpow(std::uint64_t base, std::uint64_t exp, std::uint64_t mod) {
    std::uint64_t result = 1 % mod;
    base %= mod;
    while (exp != 0) {
        if (exp & 1U) result = result * base % mod;
        base = base * base % mod;
        exp >>= 1U;
    }
    return result;
}

int main() {
    std::uint64_t a, b, m;
    std::cin >> a >> b >> m;
    std::cout << modpow(a, b, m) << std::endl;
    return 0;
}
