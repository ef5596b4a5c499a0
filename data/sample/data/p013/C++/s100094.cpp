#include <bits/stdc++.h>
#define REP(i, n) for (int i = 0; i < (int)(n); ++i)
using namespace std;

int main() {
    ios::sync_with_stdio(false);
    int n;
    cin >> n;
    vector<int> flat(n * n);
    REP(i, n * n) cin >> flat[i];
    long long d = 0;
    REP(i, n) d += flat[i * n + i];
    cout << d << endl;
    return 0;
}
