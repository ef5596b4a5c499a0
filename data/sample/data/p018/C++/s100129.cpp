#include <bits/stdc++.h>
using namespace std;

int main() {
    long long a, b, m;
    cin >> a >> b >> m;
    vector<long long> sq;
    long long cur = a % m;
    for (long long e = b; e > 0; e >>= 1) {
        sq.push_back(cur);
        cur = cur * cur % m;
    }
    long long r = 1 % m;
    for (size_t i = 0; i < sq.size(); i++)
        if ((b >> i) & 1) r = r * sq[i] % m;
    cout << r << endl;
    return 0;
}
