#include <bits/stdc++.h>
using namespace std;
using ll = long long;

ll solve(const vector<ll>& a, int l, int r) {
    if (l == r) return a[l];
    int m = (l + r) / 2;
    ll left = LLONG_MIN, s = 0;
    for (int i = m; i >= l; i--) {
        s += a[i];
        left = max(left, s);
    }
    ll right = LLONG_MIN;
    s = 0;
    for (int i = m + 1; i <= r; i++) {
        s += a[i];
        right = max(right, s);
    }
    return max({solve(a, l, m), solve(a, m + 1, r), left + right});
}

int main() {
    int n;
    cin >> n;
    vector<ll> a(n);
    for (auto &x : a) cin >> x;
    cout << solve(a, 0, n - 1) << endl;
    return 0;
}
