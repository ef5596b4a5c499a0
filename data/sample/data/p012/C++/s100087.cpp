#include <bits/stdc++.h>
using namespace std;

int main() {
    string s;
    getline(cin, s);
    array<int, 26> freq{};
    for (char c : s)
        if (c >= 'a' && c <= 'z') freq[c - 'a']++;
    int ans = freq['a' - 'a'] + freq['e' - 'a'] + freq['i' - 'a'] + freq['o' - 'a'] + freq['u' - 'a'];
    cout << ans << endl;
    return 0;
}
