#include <iostream>
using namespace std;

int main() {
    ios::sync_with_stdio(false);
    int t;
    cin >> t;
    for (int q = 0; q < t; q++) {
        long long n;
        cin >> n;
        bool ok = n > 1;
        for (long long i = 2; i * i <= n && ok; i++) {
            if (n % i == 0) ok = false;
        }
        if (ok) cout << "YES" << endl;
        else cout << "NO" << endl;
    }
    return 0;
}
