#include <iostream>
#include <vector>
using namespace std;

int main() {
    int n;
    cin >> n;
    vector<vector<int>> a(n, vector<int>(n));
    for (auto &row : a)
        for (auto &x : row) cin >> x;
    long long trace = 0;
    for (int i = 0; i < n; i++) trace += a[i][i];
    cout << trace << "\n";
    return 0;
}
