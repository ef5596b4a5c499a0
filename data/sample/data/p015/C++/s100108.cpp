#include <bits/stdc++.h>
using namespace std;

int main() {
    ios::sync_with_stdio(false);
    int n;
    cin >> n;
    priority_queue<int> pq;
    for (int i = 0; i < n; i++) {
        int x;
        cin >> x;
        pq.push(x);
    }
    int top = pq.top();
    while (!pq.empty() && pq.top() == top) pq.pop();
    cout << pq.top() << endl;
    return 0;
}
