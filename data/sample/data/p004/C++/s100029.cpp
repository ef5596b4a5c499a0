#include <bits/stdc++.h>
using namespace std;

void reverseRec(string &s, int l, int r) {
    if (l >= r) return;
    swap(s[l], s[r]);
    reverseRec(s, l + 1, r - 1);
}

int main() {
    string s;
    cin >> s;
    reverseRec(s, 0, (int)s.size() - 1);
    cout << s << endl;
    return 0;
}
