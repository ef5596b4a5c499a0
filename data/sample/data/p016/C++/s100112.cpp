#include <bits/stdc++.h>
using namespace std;

struct Fenwick {
    int n;
    vector<long long> t;
    Fenwick(int n) : n(n), t(n + 1, 0) {}
    void add(int i, long long v) {
        for (; i <= n; i += i & -i) t[i] += v;
    }
    long long sum(int i) const {
        long long s = 0;
        for (; i > 0; i -= i & -i) s += t[i];
        return s;
    }
};

int main() {
    int n;
    cin >> n;
    Fenwick fw(n);
    for (int i = 1; i <= n; i++) {
        long long x;
        cin >> x;
        fw.add(i, x);
    }
    int q;
    cin >> q;
    while (q--) {
        int l, r;
        cin >> l >> r;
        cout << fw.sum(r) - fw.sum(l - 1) << "\n";
    }
}
