#include <bits/stdc++.h>
using namespace std;
typedef long long ll;

bool check(ll n) {
    if (n <= 3) return n > 1;
    if (n % 2 == 0 || n % 3 == 0) return false;
    for (ll i = 5; i * i <= n; i += 6)
        if (n % i == 0 || n % (i + 2) == 0) return false;
    return true;
}

int main() {
    int T;
    cin >> T;
    while (T--) {
        ll x;
        cin >> x;
        puts(check(x) ? "YES" : "NO");
    }
}
