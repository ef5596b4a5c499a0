#include <iostream>
#include <algorithm>
using namespace std;

int main() {
    unsigned long long a, b;
    cin >> a >> b;
    unsigned long long x = max(a, b), y = min(a, b);
    while (y != 0) {
        unsigned long long r = x % y;
        x = y;
        y = r;
    }
    cout << x << " " << a / x * b << "\n";
    return 0;
}
