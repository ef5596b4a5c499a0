#include <bits/stdc++.h>
#define int long long
using namespace std;

signed main() {
    ios::sync_with_stdio(0);
    cin.tie(0);
    int n, mod = 1000000007, p = 1;
    cin >> n;
    for (int k = 1; k <= n; k++) p = p * k % mod;
    cout << p << '\n';
    return 0;
}
