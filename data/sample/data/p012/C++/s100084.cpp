#include <bits/stdc++.h>
using namespace std;

int main() {
    string s;
    getline(cin, s);
    const set<char> V = {'a', 'e', 'i', 'o', 'u'};
    cout << count_if(s.begin(), s.end(), [&](char c) { return V.count(c) > 0; }) << '\n';
}
