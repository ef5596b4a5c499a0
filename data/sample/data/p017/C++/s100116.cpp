#include <bits/stdc++.h>
using namespace std;

int main() {
    string line;
    getline(cin, line);
    stringstream ss(line);
    string w;
    int cnt = 0;
    while (ss >> w) cnt++;
    cout << cnt << endl;
    return 0;
}
