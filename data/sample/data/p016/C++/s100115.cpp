#include <bits/stdc++.h>
#define int long long
using namespace std;

int32_t main() {
    int n;
    cin >> n;
    vector<int> s(n + 1);
    for (int i = 1; i <= n; i++) {
        cin >> s[i];
        s[i] += s[i - 1];
    }
    int q;
    cin >> q;
    string out;
    while (q--) {
        int l, r;
        cin >> l >> r;
        out += to_string(s[r] - s[l - 1]) + "\n";
    }
    cout << out;
    return 0;
}
