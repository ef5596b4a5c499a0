#include <bits/stdc++.h>
#define ll long long
#define fastio ios_base::sync_with_stdio(0); cin.tie(0)
using namespace std;

int main() {
    fastio;
    ll x, y;
    cin >> x >> y;
    ll s = x;
    s += y;
    cout << s << endl;
    return 0;
}
