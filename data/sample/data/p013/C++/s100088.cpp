#include <bits/stdc++.h>
using namespace std;

int main() {
    int n;
    cin >> n;
    long long s = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            long long x;
            cin >> x;
            if (i == j) s += x;
        }
    cout << s << endl;
    return 0;
}
