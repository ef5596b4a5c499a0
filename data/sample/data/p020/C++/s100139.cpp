#include <iostream>
#include <vector>
#include <climits>
using namespace std;

long long kadane(const vector<long long>& a) {
    long long best = LLONG_MIN, sum = 0;
    for (long long x : a) {
        sum += x;
        if (sum > best) best = sum;
        if (sum < 0) sum = 0;
    }
    return best;
}

int main() {
    int n;
    cin >> n;
    vector<long long> a(n);
    for (auto &x : a) cin >> x;
    cout << kadane(a) << "\n";
    return 0;
}
