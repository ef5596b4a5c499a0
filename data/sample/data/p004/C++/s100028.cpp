#include <iostream>
#include <string>
#include <algorithm>
using namespace std;

int main() {
    string s;
    getline(cin, s);
    while (!s.empty() && (s.back() == '\r' || s.back() == ' ')) s.pop_back();
    string r = s;
    reverse(r.begin(), r.end());
    cout << r << endl;
    return 0;
}
