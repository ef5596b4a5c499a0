#include <bits/stdc++.h>
using namespace std;

int main() {
    int n;
    cin >> n;
    vector<long long> a(n);
    for (auto &x : a) cin >> x;
    cout << count_if(a.begin(), a.end(), [](long long v) { return v % 2 == 0; }) << '\n';
}
