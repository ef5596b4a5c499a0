#include <iostream>
#include <string>
#include <algorithm>
using namespace std;

int main() {
    string s;
    getline(cin, s);
    s = " " + s;
    int ans = 0;
    for (size_t i = 1; i < s.size(); i++)
        if (s[i] != ' ' && s[i] != '\r' && s[i - 1] == ' ') ans++;
    cout << ans << endl;
    return 0;
}
