#include <iostream>
#include <utility>
using namespace std;

int main() {
    int n;
    cin >> n;
    pair<long long, long long> p = {0, 1};
    while (n-- > 0) p = {p.second, p.first + p.second};
    cout << p.first << '\n';
    return 0;
}
