#include <iostream>
#include <string>
#include <numeric>

int main() {
    std::string s;
    std::cin >> s;
    int total = std::accumulate(s.begin(), s.end(), 0, [](int acc, char c) { return acc + (c - '0'); });
    std::cout << total << std::endl;
    return 0;
}
