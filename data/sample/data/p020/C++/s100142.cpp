#include <iostream>
#include <vector>
#include <algorithm>

int main() {
    int n;
    std::cin >> n;
    std::vector<long long> a(n), dp(n);
    for (auto &v : a) std::cin >> v;
    dp[0] = a[0];
    for (int i = 1; i < n; ++i) dp[i] = std::max(a[i], dp[i - 1] + a[i]);
    std::cout << *std::max_element(dp.begin(), dp.end()) << std::endl;
    return 0;
}
