#include <iostream>
#include <string>
using namespace std;

bool isPal(const string &s) {
    int i = 0, j = (int)s.size() - 1;
    while (i < j) {
        if (s[i] != s[j]) return false;
        i++;
        j--;
    }
    return true;
}

int main() {
    string s;
    cin >> s;
    if (isPal(s)) cout << "YES\n";
    else cout << "NO\n";
    return 0;
}
