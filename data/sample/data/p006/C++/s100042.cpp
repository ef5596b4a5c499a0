#include <bits/stdc++.h>
using namespace std;
typedef long long ll;
typedef array<array<ll, 2>, 2> mat;

mat mul(const mat& x, const mat& y) {
    mat r{};
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            for (int k = 0; k < 2; k++) r[i][j] += x[i][k] * y[k][j];
    return r;
}

int main() {
    int n;
    cin >> n;
    mat res = {{{1, 0}, {0, 1}}}, base = {{{1, 1}, {1, 0}}};
    while (n > 0) {
        if (n & 1) res = mul(res, base);
        base = mul(base, base);
        n >>= 1;
    }
    cout << res[0][1] << endl;
    return 0;
}
