#include <iostream>
#include <vector>

bool isEven(int v) { return v % 2 == 0; }

int main() {
    int n;
    std::cin >> n;
    std::vector<int> v(n);
    int c = 0;
    for (int i = 0; i < n; ++i) {
        std::cin >> v[i];
        if (isEven(v[i])) ++c;
    }
    std::cout << c << std::endl;
    return 0;
}
