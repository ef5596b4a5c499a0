#include <iostream>
using namespace std;

int main() {
    char c;
    int s = 0;
    while (cin.get(c)) {
        if (c >= '0' && c <= '9') s += c - '0';
    }
    cout << s << endl;
    return 0;
}
