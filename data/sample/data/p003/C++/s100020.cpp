#include <bits/stdc++.h>
#define FOR(i, a, b) for (int i = (a); i < (b); i++)
using namespace std;

int main() {
    ios_base::sync_with_stdio(false);
    cin.tie(NULL);
    int n, res = 0;
    cin >> n;
    FOR(i, 0, n) {
        int t;
        cin >> t;
        if (!(t % 2)) res++;
    }
    cout << res << endl;
    return 0;
}
