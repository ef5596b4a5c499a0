#include <iostream>
#include <string>
#include <algorithm>

int main() {
    std::string s;
    std::cin >> s;
    bool ok = std::equal(s.begin(), s.begin() + s.size() / 2, s.rbegin());
    std::cout << (ok ? "YES" : "NO") << std::endl;
    return 0;
}
