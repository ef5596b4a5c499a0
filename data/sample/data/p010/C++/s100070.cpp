#include <bits/stdc++.h>
using namespace std;

bool pal(const string& s, int l, int r) {
    if (l >= r) return true;
    return s[l] == s[r] && pal(s, l + 1, r - 1);
}

int main() {
    string w;
    cin >> w;
    cout << (pal(w, 0, (int)w.size() - 1) ? "YES" : "NO") << '\n';
}
