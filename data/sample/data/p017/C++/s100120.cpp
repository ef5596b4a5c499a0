#include <bits/stdc++.h>
using namespace std;

int main() {
    string s;
    getline(cin, s);
    istringstream in(s);
    vector<string> words{istream_iterator<string>(in), istream_iterator<string>()};
    cout << words.size() << '\n';
}
