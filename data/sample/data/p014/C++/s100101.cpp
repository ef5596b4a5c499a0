#include <iostream>
#include <string>
using namespace std;

int main() {
    long long n;
    cin >> n;
    int hi = 63 - __builtin_clzll((unsigned long long)n);
    string out;
    for (int b = hi; b >= 0; b--) out += ((n >> b) & 1) ? '1' : '0';
    cout << out << endl;
    return 0;
}
