#include <bits/stdc++.h>
using namespace std;
typedef unsigned long long ull;

string toBinary(ull n) {
    if (n == 0) return "0";
    string r;
    for (; n; n >>= 1) r.push_back((n & 1) ? '1' : '0');
    return string(r.rbegin(), r.rend());
}

int main() {
    ull n;
    cin >> n;
    cout << toBinary(n) << "\n";
}
