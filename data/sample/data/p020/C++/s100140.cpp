#include <bits/stdc++.h>
using namespace std;

int main() {
    ios::sync_with_stdio(false);
    int n;
    cin >> n;
    vector<long long> pre(n + 1, 0);
    for (int i = 1; i <= n; i++) {
        long long x;
        cin >> x;
        pre[i] = pre[i - 1] + x;
    }
    long long mn = 0, ans = LLONG_MIN;
    for (int i = 1; i <= n; i++) {
        ans = max(ans, pre[i] - mn);
        mn = min(mn, pre[i]);
    }
    cout << ans << '\n';
}
