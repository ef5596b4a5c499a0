#include <iostream>
using namespace std;

int main() {
    int n;
    cin >> n;
    int counts[2] = {0, 0};
    for (int i = 0; i < n; i++) {
        int x;
        cin >> x;
        counts[(x % 2 + 2) % 2]++;
    }
    cout << counts[0] << "\n";
    return 0;
}
