#include <iostream>
#include <climits>
using namespace std;

int main() {
    int n, x, best = INT_MIN;
    cin >> n;
    while (n--) {
        cin >> x;
        if (x > best) best = x;
    }
    cout << best << endl;
    return 0;
}
