#include <iostream>
#include <queue>
#include <vector>
#include <functional>

int main() {
    int n;
    std::cin >> n;
    std::priority_queue<int, std::vector<int>, std::greater<int>> pq;
    for (int i = 0; i < n; ++i) {
        int x;
        std::cin >> x;
        pq.push(x);
    }
    for (int i = 0; i < n; ++i) {
        std::cout << pq.top() << (i + 1 == n ? "\n" : " ");
        pq.pop();
    }
    return 0;
}
