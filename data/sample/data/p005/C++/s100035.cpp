#include <iostream>
#include <vector>
using namespace std;

int main() {
    const int MOD = 1000000007;
    int n;
    cin >> n;
    vector<long long> f(n + 1);
    f[0] = 1;
    for (int i = 1; i <= n; i++) f[i] = f[i - 1] * i % MOD;
    cout << f[n] << endl;
    return 0;
}
