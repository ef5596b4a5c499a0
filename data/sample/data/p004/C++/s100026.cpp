#include <iostream>
#include <string>

std::string rev(const std::string& s) {
    return std::string(s.rbegin(), s.rend());
}

int main() {
    std::string w;
    std::cin >> w;
    std::cout << rev(w) << "\n";
    return 0;
}
