#include <iostream>
using namespace std;

int main() {
    long long a, b, m;
    cin >> a >> b >> m;
    long long result = 1 % m, base = a % m;
    for (; b; b /= 2) {
        if (b % 2 == 1) result = (result * base) % m;
        base = (base * base) % m;
    }
    cout << result << "\n";
    return 0;
}
