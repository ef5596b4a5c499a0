#include <iostream>
#include <string>
#include <cctype>

int countWords(const std::string& s) {
    int n = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        bool start = !std::isspace((unsigned char)s[i]) && (i == 0 || std::isspace((unsigned char)s[i - 1]));
        if (start) ++n;
    }
    return n;
}

int main() {
    std::string line;
    std::getline(std::cin, line);
    std::cout << countWords(line) << std::endl;
    return 0;
}
