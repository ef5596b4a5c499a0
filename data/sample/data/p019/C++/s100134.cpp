#include <iostream>
#include <map>

int main() {
    int n;
    std::cin >> n;
    std::map<long long, int> freq;
    for (int i = 0; i < n; ++i) {
        long long x;
        std::cin >> x;
        ++freq[x];
    }
    std::cout << freq.size() << std::endl;
    return 0;
}
