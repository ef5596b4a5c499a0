#include <bits/stdc++.h>
using namespace std;

int findMax(const vector<int>& v) {
    int m = v[0];
    for (int x : v) m = max(m, x);
    return m;
}

int main() {
    ios::sync_with_stdio(false);
    int n;
    cin >> n;
    vector<int> v(n);
    for (auto& x : v) cin >> x;
    cout << findMax(v) << '\n';
}
