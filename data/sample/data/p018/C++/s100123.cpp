#include <bits/stdc++.h>
using namespace std;
typedef long long ll;

ll power(ll a, ll b, ll m) {
    ll r = 1 % m;
    a %= m;
    while (b > 0) {
        if (b & 1) r = r * a % m;
        a = a * a % m;
        b >>= 1;
    }
    return r;
}

int main() {
    ll a, b, m;
    cin >> a >> b >> m;
    cout << power(a, b, m) << endl;
    return 0;
}
