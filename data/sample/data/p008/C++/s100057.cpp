#include <bits/stdc++.h>
using namespace std;
typedef long long ll;

ll g(ll a, ll b) {
    while (a && b) {
        if (a > b) a %= b;
        else b %= a;
    }
    return a + b;
}

int main() {
    ll a, b;
    cin >> a >> b;
    ll d = g(a, b);
    ll l = a / d * b;
    printf("%lld %lld\n", d, l);
}
