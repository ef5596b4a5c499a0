#include <bits/stdc++.h>
using namespace std;
typedef vector<vector<long long>> Matrix;

long long trace(const Matrix& m) {
    long long t = 0;
    for (size_t i = 0; i < m.size(); i++) t += m[i][i];
    return t;
}

int main() {
    int n;
    cin >> n;
    Matrix m(n, vector<long long>(n));
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) cin >> m[i][j];
    cout << trace(m) << '\n';
}
