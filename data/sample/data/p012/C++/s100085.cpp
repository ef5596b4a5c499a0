#include <iostream>
#include <string>

int main() {
    std::string word;
    int total = 0;
    while (std::cin >> word) {
        for (char ch : word) {
            switch (ch) {
                case 'a': case 'e': case 'i': case 'o': case 'u':
                    ++total;
                    break;
                default:
                    break;
            }
        }
    }
    std::cout << total << std::endl;
    return 0;
}
