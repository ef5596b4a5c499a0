#include <bits/stdc++.h>
using namespace std;
#define sz(x) (int)(x).size()

int main() {
    int n;
    cin >> n;
    vector<int> v(n);
    for (auto &x : v) cin >> x;
    set<int> st(v.begin(), v.end());
    cout << sz(st) << endl;
    return 0;
}
