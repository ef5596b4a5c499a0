#include <bits/stdc++.h>
using namespace std;
#define all(x) (x).begin(), (x).end()

int main() {
    int n;
    cin >> n;
    vector<long long> v(n);
    for (auto &x : v) cin >> x;
    stable_sort(all(v));
    string sep = "";
    for (auto x : v) {
        cout << sep << x;
        sep = " ";
    }
    cout << endl;
    return 0;
}
