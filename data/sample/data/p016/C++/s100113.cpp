#include <iostream>
#include <vector>

int main() {
    int n;
    std::cin >> n;
    std::vector<long long> v(n);
    for (int i = 0; i < n; ++i) std::cin >> v[i];
    int q;
    std::cin >> q;
    while (q-- > 0) {
        int l, r;
        std::cin >> l >> r;
        long long s = 0;
        for (int i = l - 1; i < r; ++i) s += v[i];
        std::cout << s << '\n';
    }
    return 0;
}
