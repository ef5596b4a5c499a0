#include <bits/stdc++.h>
using namespace std;
using ll = long long;
constexpr ll M = 1e9 + 7;

ll factRec(int n) {
    return n <= 1 ? 1 : factRec(n - 1) * n % M;
}

int main() {
    int n;
    cin >> n;
    ll ans = 1;
    // iterative for large n, recursion only for small inputs
    if (n < 1000) ans = factRec(n);
    else for (int i = 2; i <= n; i++) ans = ans * i % M;
    cout << ans << endl;
}
