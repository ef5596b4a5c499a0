#include <bits/stdc++.h>
using namespace std;

int main() {
    ios::sync_with_stdio(false);
    string s, t;
    cin >> s;
    stack<char> st;
    for (char c : s) st.push(c);
    while (!st.empty()) {
        t += st.top();
        st.pop();
    }
    cout << t << '\n';
}
