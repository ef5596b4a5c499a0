#include <iostream>
#include <string>
using namespace std;

bool vowel(char c) {
    return string("aeiou").find(c) != string::npos;
}

int main() {
    string line;
    getline(cin, line);
    int n = 0;
    for (size_t i = 0; i < line.size(); i++)
        if (vowel(line[i])) n++;
    cout << n << "\n";
    return 0;
}
