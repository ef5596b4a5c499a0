#include <iostream>
#include <bitset>
#include <string>
using namespace std;

int main() {
    unsigned long long n;
    cin >> n;
    string s = bitset<64>(n).to_string();
    cout << s.substr(s.find('1')) << endl;
    return 0;
}
