#include <bits/stdc++.h>
using namespace std;
#define rep(i, n) for (int i = 0; i < (n); ++i)

int main() {
    int n;
    cin >> n;
    long long ans = LLONG_MIN;
    rep(i, n) {
        long long x;
        cin >> x;
        ans = max(ans, x);
    }
    cout << ans << "\n";
    return 0;
}
