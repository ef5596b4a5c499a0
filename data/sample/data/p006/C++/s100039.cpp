#include <bits/stdc++.h>
using namespace std;

long long memo[100];
bool seen[100];

long long fib(int n) {
    if (n < 2) return n;
    if (seen[n]) return memo[n];
    seen[n] = true;
    return memo[n] = fib(n - 1) + fib(n - 2);
}

int main() {
    int n;
    cin >> n;
    cout << fib(n) << "\n";
}
