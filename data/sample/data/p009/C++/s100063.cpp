#include <bits/stdc++.h>
using namespace std;

int main() {
    ios::sync_with_stdio(false);
    int n;
    cin >> n;
    multiset<int> s;
    for (int i = 0; i < n; i++) {
        int x;
        cin >> x;
        s.insert(x);
    }
    bool first = true;
    for (int x : s) {
        if (!first) cout << ' ';
        cout << x;
        first = false;
    }
    cout << '\n';
}
