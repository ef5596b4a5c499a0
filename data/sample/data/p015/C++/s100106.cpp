#include <iostream>
#include <vector>
#include <algorithm>

int main() {
    int n;
    std::cin >> n;
    std::vector<int> v(n);
    for (int &x : v) std::cin >> x;
    int mx = *std::max_element(v.begin(), v.end());
    int best = -2147483647 - 1;
    for (int x : v)
        if (x != mx) best = std::max(best, x);
    std::cout << best << std::endl;
    return 0;
}
