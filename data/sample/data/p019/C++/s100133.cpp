#include <bits/stdc++.h>
using namespace std;

int main() {
    ios::sync_with_stdio(false);
    int n;
    cin >> n;
    unordered_set<int> seen;
    seen.reserve(n * 2 + 1);
    for (int i = 0; i < n; i++) {
        int x;
        cin >> x;
        seen.insert(x);
    }
    cout << seen.size() << '\n';
}
