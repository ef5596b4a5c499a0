#include <bits/stdc++.h>
using namespace std;
typedef long long ll;

int main() {
    int n;
    cin >> n;
    ll best = LLONG_MIN, cur = 0;
    for (int i = 0; i < n; i++) {
        ll x;
        cin >> x;
        cur = max(x, cur + x);
        best = max(best, cur);
    }
    cout << best << endl;
    return 0;
}
