#include <iostream>
#include <vector>
#include <numeric>
using namespace std;

int main() {
    vector<long long> v(2);
    for (auto &x : v) cin >> x;
    cout << accumulate(v.begin(), v.end(), 0LL) << endl;
    return 0;
}
