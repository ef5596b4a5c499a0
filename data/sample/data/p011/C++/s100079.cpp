#include <bits/stdc++.h>
#define ll long long
using namespace std;

int main() {
    ll n;
    cin >> n;
    ll ans = 0;
    for (; n; n /= 10) ans += n % 10;
    cout << ans << '\n';
    return 0;
}
