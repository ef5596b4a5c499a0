#include <bits/stdc++.h>
#define ll long long
using namespace std;

int main() {
    ios::sync_with_stdio(0);
    ll a, b, m;
    cin >> a >> b >> m;
    a %= m;
    ll ans = 1 % m;
    while (b) {
        if (b & 1LL) ans = (__int128)ans * a % m;
        a = (__int128)a * a % m;
        b >>= 1;
    }
    cout << ans << '\n';
}
