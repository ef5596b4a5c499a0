#include <iostream>
using namespace std;
typedef unsigned long long ull;

ull fact(int n, ull mod) {
    ull res = 1;
    while (n > 1) {
        res = res * n % mod;
        n--;
    }
    return res;
}

int main() {
    int n;
    cin >> n;
    cout << fact(n, 1000000007ULL) << "\n";
    return 0;
}
