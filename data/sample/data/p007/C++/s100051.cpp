#include <bits/stdc++.h>
using namespace std;

int main() {
    cin.tie(0)->sync_with_stdio(0);
    int t;
    cin >> t;
    vector<string> out;
    while (t--) {
        long long n;
        cin >> n;
        int divisors = 0;
        for (long long i = 1; i * i <= n; i++) {
            if (n % i == 0) divisors += (i * i == n) ? 1 : 2;
            if (divisors > 2) break;
        }
        out.push_back(divisors == 2 ? "YES" : "NO");
    }
    for (auto &s : out) cout << s << '\n';
    return 0;
}
