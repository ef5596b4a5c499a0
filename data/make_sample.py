"""Write cfdpo's bundled sample corpus (data/sample) in Project CodeNet's layout.

Every program here was written for cfdpo (none is copied from a judge). Each
problem has seven accepted C++ solutions in the styles competitive programmers
use (bits/stdc++ or specific headers, cin or scanf, helper functions, macros),
a sample test, and for some problems a rejected submission ("Wrong Answer",
"Compile Error") so that the status filter has something to filter.

Run: python data/make_sample.py   (tests check that every accepted program
compiles and reproduces its sample output)
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent / "sample"

# problem id -> (title, statement, sample input, sample output, [accepted sources], [(status, source)])
PROBLEMS: dict[str, tuple[str, str, str, str, list[str], list[tuple[str, str]]]] = {}


def problem(pid, title, statement, sin, sout, accepted, rejected=()):
    PROBLEMS[pid] = (title, statement, sin, sout, accepted, list(rejected))


problem("p001", "A plus B", "Read two integers a and b (|a|,|b| <= 1e18) and print a+b.", "3 4\n", "7\n", [
r'''#include <iostream>
using namespace std;

int main() {
    long long a, b;
    cin >> a >> b;
    cout << a + b << endl;
    return 0;
}
''',
r'''#include <bits/stdc++.h>
using namespace std;
typedef long long ll;

int main() {
    ios::sync_with_stdio(false);
    cin.tie(nullptr);
    ll a, b;
    cin >> a >> b;
    cout << a + b << "\n";
}
''',
r'''#include <cstdio>

int main() {
    long long a, b;
    if (scanf("%lld %lld", &a, &b) != 2) return 0;
    printf("%lld\n", a + b);
    return 0;
}
''',
r'''#include <iostream>

long long add(long long x, long long y) {
    return x + y;
}

int main() {
    long long a = 0, b = 0;
    std::cin >> a >> b;
    std::cout << add(a, b) << '\n';
    return 0;
}
''',
r'''#include <bits/stdc++.h>
#define ll long long
#define fastio ios_base::sync_with_stdio(0); cin.tie(0)
using namespace std;

int main() {
    fastio;
    ll x, y;
    cin >> x >> y;
    ll s = x;
    s += y;
    cout << s << endl;
    return 0;
}
''',
r'''#include <iostream>
#include <vector>
#include <numeric>
using namespace std;

int main() {
    vector<long long> v(2);
    for (auto &x : v) cin >> x;
    cout << accumulate(v.begin(), v.end(), 0LL) << endl;
    return 0;
}
''',
r'''#include <stdio.h>

int main(void) {
    long long a, b, sum;
    scanf("%lld%lld", &a, &b);
    sum = a + b;
    printf("%lld\n", sum);
    return 0;
}
''',
], [("Wrong Answer", r'''#include <iostream>
int main() { int a, b; std::cin >> a >> b; std::cout << a - b << std::endl; }
''')])

problem("p002", "Maximum element", "Read n and then n integers; print the largest.", "5\n3 9 -2 7 9\n", "9\n", [
r'''#include <bits/stdc++.h>
using namespace std;

int main() {
    int n;
    cin >> n;
    vector<int> a(n);
    for (int i = 0; i < n; i++) cin >> a[i];
    cout << *max_element(a.begin(), a.end()) << endl;
    return 0;
}
''',
r'''#include <iostream>
#include <climits>
using namespace std;

int main() {
    int n, x, best = INT_MIN;
    cin >> n;
    while (n--) {
        cin >> x;
        if (x > best) best = x;
    }
    cout << best << endl;
    return 0;
}
''',
r'''#include <cstdio>
#include <algorithm>

int main() {
    int n;
    scanf("%d", &n);
    int best, x;
    scanf("%d", &best);
    for (int i = 1; i < n; ++i) {
        scanf("%d", &x);
        best = std::max(best, x);
    }
    printf("%d\n", best);
    return 0;
}
''',
r'''#include <bits/stdc++.h>
using namespace std;

int findMax(const vector<int>& v) {
    int m = v[0];
    for (int x : v) m = max(m, x);
    return m;
}

int main() {
    ios::sync_with_stdio(false);
    int n;
    cin >> n;
    vector<int> v(n);
    for (auto& x : v) cin >> x;
    cout << findMax(v) << '\n';
}
''',
r'''#include <iostream>
#include <vector>
#include <algorithm>
using namespace std;

int main() {
    int n;
    cin >> n;
    vector<int> a(n);
    for (int &x : a) cin >> x;
    sort(a.begin(), a.end());
    cout << a.back() << endl;
    return 0;
}
''',
r'''#include <stdio.h>
#define MAXN 100005
int a[MAXN];

int main() {
    int n, i, m;
    scanf("%d", &n);
    for (i = 0; i < n; i++) scanf("%d", &a[i]);
    m = a[0];
    for (i = 1; i < n; i++)
        if (a[i] > m) m = a[i];
    printf("%d\n", m);
    return 0;
}
''',
r'''#include <bits/stdc++.h>
using namespace std;
#define rep(i, n) for (int i = 0; i < (n); ++i)

int main() {
    int n;
    cin >> n;
    long long ans = LLONG_MIN;
    rep(i, n) {
        long long x;
        cin >> x;
        ans = max(ans, x);
    }
    cout << ans << "\n";
    return 0;
}
''',
])

problem("p003", "Count even numbers", "Read n and n integers; print how many are even.", "6\n1 2 3 4 5 6\n", "3\n", [
r'''#include <iostream>
using namespace std;

int main() {
    int n, x, cnt = 0;
    cin >> n;
    for (int i = 0; i < n; i++) {
        cin >> x;
        if (x % 2 == 0) cnt++;
    }
    cout << cnt << endl;
    return 0;
}
''',
r'''#include <bits/stdc++.h>
using namespace std;

int main() {
    int n;
    cin >> n;
    vector<long long> a(n);
    for (auto &x : a) cin >> x;
    cout << count_if(a.begin(), a.end(), [](long long v) { return v % 2 == 0; }) << '\n';
}
''',
r'''#include <cstdio>

int main() {
    int n, x, even = 0;
    scanf("%d", &n);
    while (n-- > 0) {
        scanf("%d", &x);
        even += (x & 1) == 0;
    }
    printf("%d\n", even);
    return 0;
}
''',
r'''#include <iostream>
#include <vector>

bool isEven(int v) { return v % 2 == 0; }

int main() {
    int n;
    std::cin >> n;
    std::vector<int> v(n);
    int c = 0;
    for (int i = 0; i < n; ++i) {
        std::cin >> v[i];
        if (isEven(v[i])) ++c;
    }
    std::cout << c << std::endl;
    return 0;
}
''',
r'''#include <bits/stdc++.h>
#define FOR(i, a, b) for (int i = (a); i < (b); i++)
using namespace std;

int main() {
    ios_base::sync_with_stdio(false);
    cin.tie(NULL);
    int n, res = 0;
    cin >> n;
    FOR(i, 0, n) {
        int t;
        cin >> t;
        if (!(t % 2)) res++;
    }
    cout << res << endl;
    return 0;
}
''',
r'''#include <stdio.h>

int main() {
    int n, i, a, odd = 0;
    scanf("%d", &n);
    for (i = 0; i < n; i++) {
        scanf("%d", &a);
        if (a % 2 != 0) odd++;
    }
    printf("%d\n", n - odd);
    return 0;
}
''',
r'''#include <iostream>
using namespace std;

int main() {
    int n;
    cin >> n;
    int counts[2] = {0, 0};
    for (int i = 0; i < n; i++) {
        int x;
        cin >> x;
        counts[(x % 2 + 2) % 2]++;
    }
    cout << counts[0] << "\n";
    return 0;
}
''',
])

problem("p004", "Reverse a string", "Read a word and print it reversed.", "hello\n", "olleh\n", [
r'''#include <bits/stdc++.h>
using namespace std;

int main() {
    string s;
    cin >> s;
    reverse(s.begin(), s.end());
    cout << s << endl;
    return 0;
}
''',
r'''#include <iostream>
#include <string>
using namespace std;

int main() {
    string s;
    cin >> s;
    for (int i = (int)s.size() - 1; i >= 0; i--) cout << s[i];
    cout << endl;
    return 0;
}
''',
r'''#include <cstdio>
#include <cstring>

char buf[100005];

int main() {
    scanf("%s", buf);
    int n = strlen(buf);
    for (int i = 0, j = n - 1; i < j; i++, j--) {
        char t = buf[i];
        buf[i] = buf[j];
        buf[j] = t;
    }
    printf("%s\n", buf);
    return 0;
}
''',
r'''#include <iostream>
#include <string>

std::string rev(const std::string& s) {
    return std::string(s.rbegin(), s.rend());
}

int main() {
    std::string w;
    std::cin >> w;
    std::cout << rev(w) << "\n";
    return 0;
}
''',
r'''#include <bits/stdc++.h>
using namespace std;

int main() {
    ios::sync_with_stdio(false);
    string s, t;
    cin >> s;
    stack<char> st;
    for (char c : s) st.push(c);
    while (!st.empty()) {
        t += st.top();
        st.pop();
    }
    cout << t << '\n';
}
''',
r'''#include <iostream>
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
''',
r'''#include <bits/stdc++.h>
using namespace std;

void reverseRec(string &s, int l, int r) {
    if (l >= r) return;
    swap(s[l], s[r]);
    reverseRec(s, l + 1, r - 1);
}

int main() {
    string s;
    cin >> s;
    reverseRec(s, 0, (int)s.size() - 1);
    cout << s << endl;
    return 0;
}
''',
], [("Compile Error", r'''#include <iostream>
int main() { std::string s; std::cin >> s; std::reverse(s.begin(), s.end()) std::cout << s; }
''')])

problem("p005", "Factorial modulo", "Read n (0 <= n <= 1e6); print n! modulo 1000000007.", "10\n", "3628800\n", [
r'''#include <bits/stdc++.h>
using namespace std;
const long long MOD = 1000000007LL;

int main() {
    int n;
    cin >> n;
    long long f = 1;
    for (int i = 2; i <= n; i++) f = f * i % MOD;
    cout << f << endl;
    return 0;
}
''',
r'''#include <cstdio>
#define MOD 1000000007

int main() {
    int n;
    scanf("%d", &n);
    long long r = 1;
    for (int i = 1; i <= n; ++i) {
        r *= i;
        r %= MOD;
    }
    printf("%lld\n", r);
    return 0;
}
''',
r'''#include <iostream>
using namespace std;
typedef unsigned long long ull;

ull fact(int n, ull mod) {
    ull res = 1;
    while (n > 1) {
        res = res * n % mod;
        n--;
    }
    return res;
}

int main() {
    int n;
    cin >> n;
    cout << fact(n, 1000000007ULL) << "\n";
    return 0;
}
''',
r'''#include <bits/stdc++.h>
using namespace std;
using ll = long long;
constexpr ll M = 1e9 + 7;

ll factRec(int n) {
    return n <= 1 ? 1 : factRec(n - 1) * n % M;
}

int main() {
    int n;
    cin >> n;
    ll ans = 1;
    // iterative for large n, recursion only for small inputs
    if (n < 1000) ans = factRec(n);
    else for (int i = 2; i <= n; i++) ans = ans * i % M;
    cout << ans << endl;
}
''',
r'''#include <iostream>
#include <vector>
using namespace std;

int main() {
    const int MOD = 1000000007;
    int n;
    cin >> n;
    vector<long long> f(n + 1);
    f[0] = 1;
    for (int i = 1; i <= n; i++) f[i] = f[i - 1] * i % MOD;
    cout << f[n] << endl;
    return 0;
}
''',
r'''#include <stdio.h>

int main() {
    long long n, i, ans = 1, mod = 1000000007;
    scanf("%lld", &n);
    for (i = n; i > 1; i--) ans = (ans * i) % mod;
    printf("%lld\n", ans);
    return 0;
}
''',
r'''#include <bits/stdc++.h>
#define int long long
using namespace std;

signed main() {
    ios::sync_with_stdio(0);
    cin.tie(0);
    int n, mod = 1000000007, p = 1;
    cin >> n;
    for (int k = 1; k <= n; k++) p = p * k % mod;
    cout << p << '\n';
    return 0;
}
''',
])

problem("p006", "Fibonacci", "Read n (0 <= n <= 90); print F(n) with F(0)=0, F(1)=1.", "10\n", "55\n", [
r'''#include <iostream>
using namespace std;

int main() {
    int n;
    cin >> n;
    long long a = 0, b = 1;
    for (int i = 0; i < n; i++) {
        long long c = a + b;
        a = b;
        b = c;
    }
    cout << a << endl;
    return 0;
}
''',
r'''#include <bits/stdc++.h>
using namespace std;

long long memo[100];
bool seen[100];

long long fib(int n) {
    if (n < 2) return n;
    if (seen[n]) return memo[n];
    seen[n] = true;
    return memo[n] = fib(n - 1) + fib(n - 2);
}

int main() {
    int n;
    cin >> n;
    cout << fib(n) << "\n";
}
''',
r'''#include <cstdio>

int main() {
    int n;
    scanf("%d", &n);
    long long f[95];
    f[0] = 0;
    f[1] = 1;
    for (int i = 2; i <= n; i++) f[i] = f[i - 1] + f[i - 2];
    printf("%lld\n", f[n]);
    return 0;
}
''',
r'''#include <iostream>
#include <vector>

int main() {
    int n;
    std::cin >> n;
    std::vector<long long> dp(std::max(n + 1, 2));
    dp[1] = 1;
    for (int i = 2; i <= n; ++i) {
        dp[i] = dp[i - 1] + dp[i - 2];
    }
    std::cout << dp[n] << std::endl;
    return 0;
}
''',
r'''#include <bits/stdc++.h>
using namespace std;
typedef long long ll;
typedef array<array<ll, 2>, 2> mat;

mat mul(const mat& x, const mat& y) {
    mat r{};
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            for (int k = 0; k < 2; k++) r[i][j] += x[i][k] * y[k][j];
    return r;
}

int main() {
    int n;
    cin >> n;
    mat res = {{{1, 0}, {0, 1}}}, base = {{{1, 1}, {1, 0}}};
    while (n > 0) {
        if (n & 1) res = mul(res, base);
        base = mul(base, base);
        n >>= 1;
    }
    cout << res[0][1] << endl;
    return 0;
}
''',
r'''#include <stdio.h>

long long fib(int n) {
    long long x = 0, y = 1, t;
    while (n--) {
        t = x + y;
        x = y;
        y = t;
    }
    return x;
}

int main() {
    int n;
    scanf("%d", &n);
    printf("%lld\n", fib(n));
    return 0;
}
''',
r'''#include <iostream>
#include <utility>
using namespace std;

int main() {
    int n;
    cin >> n;
    pair<long long, long long> p = {0, 1};
    while (n-- > 0) p = {p.second, p.first + p.second};
    cout << p.first << '\n';
    return 0;
}
''',
])

problem("p007", "Prime queries", "Read t, then t integers n (1 <= n <= 1e9); print YES if n is prime, NO otherwise.",
        "4\n2\n9\n17\n1\n", "YES\nNO\nYES\nNO\n", [
r'''#include <bits/stdc++.h>
using namespace std;

bool isPrime(long long n) {
    if (n < 2) return false;
    for (long long d = 2; d * d <= n; d++)
        if (n % d == 0) return false;
    return true;
}

int main() {
    int t;
    cin >> t;
    while (t--) {
        long long n;
        cin >> n;
        cout << (isPrime(n) ? "YES" : "NO") << "\n";
    }
    return 0;
}
''',
r'''#include <cstdio>

int prime(int n) {
    if (n < 2) return 0;
    if (n % 2 == 0) return n == 2;
    for (long long i = 3; i * i <= n; i += 2)
        if (n % i == 0) return 0;
    return 1;
}

int main() {
    int t, n;
    scanf("%d", &t);
    while (t--) {
        scanf("%d", &n);
        puts(prime(n) ? "YES" : "NO");
    }
    return 0;
}
''',
r'''#include <iostream>
using namespace std;

int main() {
    ios::sync_with_stdio(false);
    int t;
    cin >> t;
    for (int q = 0; q < t; q++) {
        long long n;
        cin >> n;
        bool ok = n > 1;
        for (long long i = 2; i * i <= n && ok; i++) {
            if (n % i == 0) ok = false;
        }
        if (ok) cout << "YES" << endl;
        else cout << "NO" << endl;
    }
    return 0;
}
''',
r'''#include <bits/stdc++.h>
using namespace std;
typedef long long ll;

bool check(ll n) {
    if (n <= 3) return n > 1;
    if (n % 2 == 0 || n % 3 == 0) return false;
    for (ll i = 5; i * i <= n; i += 6)
        if (n % i == 0 || n % (i + 2) == 0) return false;
    return true;
}

int main() {
    int T;
    cin >> T;
    while (T--) {
        ll x;
        cin >> x;
        puts(check(x) ? "YES" : "NO");
    }
}
''',
r'''#include <iostream>
#include <string>

std::string answer(long long n) {
    if (n < 2) return "NO";
    for (long long d = 2; d <= n / d; ++d) {
        if (n % d == 0) return "NO";
    }
    return "YES";
}

int main() {
    int t;
    std::cin >> t;
    while (t-- > 0) {
        long long n;
        std::cin >> n;
        std::cout << answer(n) << '\n';
    }
    return 0;
}
''',
r'''#include <stdio.h>
#include <math.h>

int main() {
    int t;
    long long n, i, lim;
    int flag;
    scanf("%d", &t);
    while (t--) {
        scanf("%lld", &n);
        flag = (n >= 2);
        lim = (long long)sqrt((double)n) + 1;
        for (i = 2; i <= lim && i < n; i++) {
            if (n % i == 0) {
                flag = 0;
                break;
            }
        }
        printf(flag ? "YES\n" : "NO\n");
    }
    return 0;
}
''',
r'''#include <bits/stdc++.h>
using namespace std;

int main() {
    cin.tie(0)->sync_with_stdio(0);
    int t;
    cin >> t;
    vector<string> out;
    while (t--) {
        long long n;
        cin >> n;
        int divisors = 0;
        for (long long i = 1; i * i <= n; i++) {
            if (n % i == 0) divisors += (i * i == n) ? 1 : 2;
            if (divisors > 2) break;
        }
        out.push_back(divisors == 2 ? "YES" : "NO");
    }
    for (auto &s : out) cout << s << '\n';
    return 0;
}
''',
], [("Wrong Answer", r'''#include <iostream>
int main() { int t; std::cin >> t; while (t--) { int n; std::cin >> n; std::cout << (n % 2 ? "YES" : "NO") << "\n"; } }
''')])

problem("p008", "GCD and LCM", "Read a and b (1 <= a, b <= 1e9); print gcd(a,b) and lcm(a,b).", "12 18\n", "6 36\n", [
r'''#include <bits/stdc++.h>
using namespace std;

int main() {
    long long a, b;
    cin >> a >> b;
    long long g = __gcd(a, b);
    cout << g << " " << a / g * b << endl;
    return 0;
}
''',
r'''#include <iostream>
using namespace std;

long long gcd(long long a, long long b) {
    return b == 0 ? a : gcd(b, a % b);
}

int main() {
    long long a, b;
    cin >> a >> b;
    long long g = gcd(a, b);
    cout << g << ' ' << (a / g) * b << '\n';
    return 0;
}
''',
r'''#include <cstdio>

int main() {
    long long a, b, x, y, t;
    scanf("%lld %lld", &a, &b);
    x = a;
    y = b;
    while (y) {
        t = x % y;
        x = y;
        y = t;
    }
    printf("%lld %lld\n", x, a / x * b);
    return 0;
}
''',
r'''#include <iostream>
#include <numeric>

int main() {
    long long a, b;
    std::cin >> a >> b;
    std::cout << std::gcd(a, b) << " " << std::lcm(a, b) << std::endl;
    return 0;
}
''',
r'''#include <bits/stdc++.h>
using namespace std;
typedef long long ll;

ll g(ll a, ll b) {
    while (a && b) {
        if (a > b) a %= b;
        else b %= a;
    }
    return a + b;
}

int main() {
    ll a, b;
    cin >> a >> b;
    ll d = g(a, b);
    ll l = a / d * b;
    printf("%lld %lld\n", d, l);
}
''',
r'''#include <stdio.h>

long long gcd(long long a, long long b) {
    long long r;
    while (b != 0) {
        r = a % b;
        a = b;
        b = r;
    }
    return a;
}

long long lcm(long long a, long long b) {
    return a / gcd(a, b) * b;
}

int main() {
    long long a, b;
    scanf("%lld%lld", &a, &b);
    printf("%lld %lld\n", gcd(a, b), lcm(a, b));
    return 0;
}
''',
r'''#include <iostream>
#include <algorithm>
using namespace std;

int main() {
    unsigned long long a, b;
    cin >> a >> b;
    unsigned long long x = max(a, b), y = min(a, b);
    while (y != 0) {
        unsigned long long r = x % y;
        x = y;
        y = r;
    }
    cout << x << " " << a / x * b << "\n";
    return 0;
}
''',
])

problem("p009", "Sort numbers", "Read n and n integers; print them in non-decreasing order, space separated.",
        "5\n4 1 3 1 2\n", "1 1 2 3 4\n", [
r'''#include <bits/stdc++.h>
using namespace std;

int main() {
    int n;
    cin >> n;
    vector<int> a(n);
    for (auto &x : a) cin >> x;
    sort(a.begin(), a.end());
    for (int i = 0; i < n; i++) cout << a[i] << (i + 1 < n ? ' ' : '\n');
    return 0;
}
''',
r'''#include <cstdio>
#include <algorithm>

int a[200005];

int main() {
    int n;
    scanf("%d", &n);
    for (int i = 0; i < n; i++) scanf("%d", a + i);
    std::sort(a, a + n);
    for (int i = 0; i < n; i++) printf(i ? " %d" : "%d", a[i]);
    printf("\n");
    return 0;
}
''',
r'''#include <iostream>
#include <vector>
using namespace std;

void insertionSort(vector<int>& v) {
    for (size_t i = 1; i < v.size(); i++) {
        int key = v[i];
        int j = (int)i - 1;
        while (j >= 0 && v[j] > key) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = key;
    }
}

int main() {
    int n;
    cin >> n;
    vector<int> v(n);
    for (int i = 0; i < n; i++) cin >> v[i];
    insertionSort(v);
    for (int i = 0; i < n; i++) {
        if (i) cout << " ";
        cout << v[i];
    }
    cout << endl;
    return 0;
}
''',
r'''#include <bits/stdc++.h>
using namespace std;

int main() {
    ios::sync_with_stdio(false);
    int n;
    cin >> n;
    multiset<int> s;
    for (int i = 0; i < n; i++) {
        int x;
        cin >> x;
        s.insert(x);
    }
    bool first = true;
    for (int x : s) {
        if (!first) cout << ' ';
        cout << x;
        first = false;
    }
    cout << '\n';
}
''',
r'''#include <iostream>
#include <queue>
#include <vector>
#include <functional>

int main() {
    int n;
    std::cin >> n;
    std::priority_queue<int, std::vector<int>, std::greater<int>> pq;
    for (int i = 0; i < n; ++i) {
        int x;
        std::cin >> x;
        pq.push(x);
    }
    for (int i = 0; i < n; ++i) {
        std::cout << pq.top() << (i + 1 == n ? "\n" : " ");
        pq.pop();
    }
    return 0;
}
''',
r'''#include <stdio.h>
#include <stdlib.h>

int cmp(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int main() {
    int n, i;
    scanf("%d", &n);
    int *a = (int *)malloc(sizeof(int) * n);
    for (i = 0; i < n; i++) scanf("%d", &a[i]);
    qsort(a, n, sizeof(int), cmp);
    for (i = 0; i < n; i++) printf("%d%c", a[i], i == n - 1 ? '\n' : ' ');
    free(a);
    return 0;
}
''',
r'''#include <bits/stdc++.h>
using namespace std;
#define all(x) (x).begin(), (x).end()

int main() {
    int n;
    cin >> n;
    vector<long long> v(n);
    for (auto &x : v) cin >> x;
    stable_sort(all(v));
    string sep = "";
    for (auto x : v) {
        cout << sep << x;
        sep = " ";
    }
    cout << endl;
    return 0;
}
''',
])

problem("p010", "Palindrome", "Read a word; print YES if it reads the same backwards, else NO.", "racecar\n", "YES\n", [
r'''#include <bits/stdc++.h>
using namespace std;

int main() {
    string s;
    cin >> s;
    string r(s.rbegin(), s.rend());
    cout << (s == r ? "YES" : "NO") << endl;
    return 0;
}
''',
r'''#include <iostream>
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
''',
r'''#include <cstdio>
#include <cstring>

char s[100005];

int main() {
    scanf("%s", s);
    int n = strlen(s), ok = 1;
    for (int i = 0; i < n / 2; i++)
        if (s[i] != s[n - 1 - i]) ok = 0;
    puts(ok ? "YES" : "NO");
    return 0;
}
''',
r'''#include <bits/stdc++.h>
using namespace std;

bool pal(const string& s, int l, int r) {
    if (l >= r) return true;
    return s[l] == s[r] && pal(s, l + 1, r - 1);
}

int main() {
    string w;
    cin >> w;
    cout << (pal(w, 0, (int)w.size() - 1) ? "YES" : "NO") << '\n';
}
''',
r'''#include <iostream>
#include <string>
#include <algorithm>

int main() {
    std::string s;
    std::cin >> s;
    bool ok = std::equal(s.begin(), s.begin() + s.size() / 2, s.rbegin());
    std::cout << (ok ? "YES" : "NO") << std::endl;
    return 0;
}
''',
r'''#include <stdio.h>
#include <string.h>

int main() {
    char s[100005];
    int i, n, bad = 0;
    scanf("%100000s", s);
    n = (int)strlen(s);
    for (i = 0; i < n; i++) {
        if (s[i] != s[n - i - 1]) {
            bad = 1;
            break;
        }
    }
    printf("%s\n", bad ? "NO" : "YES");
    return 0;
}
''',
r'''#include <bits/stdc++.h>
using namespace std;

int main() {
    ios::sync_with_stdio(false);
    string s;
    cin >> s;
    deque<char> dq(s.begin(), s.end());
    bool ok = true;
    while (dq.size() > 1) {
        if (dq.front() != dq.back()) {
            ok = false;
            break;
        }
        dq.pop_front();
        dq.pop_back();
    }
    cout << (ok ? "YES" : "NO") << "\n";
    return 0;
}
''',
])

problem("p011", "Sum of digits", "Read a non-negative integer n (up to 1e18); print the sum of its decimal digits.",
        "98765\n", "35\n", [
r'''#include <iostream>
using namespace std;

int main() {
    long long n;
    cin >> n;
    int s = 0;
    while (n > 0) {
        s += n % 10;
        n /= 10;
    }
    cout << s << endl;
    return 0;
}
''',
r'''#include <bits/stdc++.h>
using namespace std;

int main() {
    string s;
    cin >> s;
    int sum = 0;
    for (char c : s) sum += c - '0';
    cout << sum << "\n";
}
''',
r'''#include <cstdio>

int digitSum(unsigned long long n) {
    return n == 0 ? 0 : (int)(n % 10) + digitSum(n / 10);
}

int main() {
    unsigned long long n;
    scanf("%llu", &n);
    printf("%d\n", digitSum(n));
    return 0;
}
''',
r'''#include <iostream>
#include <string>
#include <numeric>

int main() {
    std::string s;
    std::cin >> s;
    int total = std::accumulate(s.begin(), s.end(), 0, [](int acc, char c) { return acc + (c - '0'); });
    std::cout << total << std::endl;
    return 0;
}
''',
r'''#include <stdio.h>

int main() {
    char buf[64];
    int i, s = 0;
    scanf("%63s", buf);
    for (i = 0; buf[i]; i++) s += buf[i] - '0';
    printf("%d\n", s);
    return 0;
}
''',
r'''#include <bits/stdc++.h>
#define ll long long
using namespace std;

int main() {
    ll n;
    cin >> n;
    ll ans = 0;
    for (; n; n /= 10) ans += n % 10;
    cout << ans << '\n';
    return 0;
}
''',
r'''#include <iostream>
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
''',
])

problem("p012", "Count vowels", "Read one line of lowercase text; print the number of vowels (a, e, i, o, u).",
        "competitive programming\n", "8\n", [
r'''#include <bits/stdc++.h>
using namespace std;

int main() {
    string s;
    getline(cin, s);
    int cnt = 0;
    for (char c : s)
        if (c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u') cnt++;
    cout << cnt << endl;
    return 0;
}
''',
r'''#include <iostream>
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
''',
r'''#include <cstdio>
#include <cstring>

int main() {
    char s[1005];
    if (!fgets(s, sizeof s, stdin)) return 0;
    int c = 0;
    for (int i = 0; s[i]; i++)
        if (strchr("aeiou", s[i]) && s[i] != '\0') c++;
    printf("%d\n", c);
    return 0;
}
''',
r'''#include <bits/stdc++.h>
using namespace std;

int main() {
    string s;
    getline(cin, s);
    const set<char> V = {'a', 'e', 'i', 'o', 'u'};
    cout << count_if(s.begin(), s.end(), [&](char c) { return V.count(c) > 0; }) << '\n';
}
''',
r'''#include <iostream>
#include <string>

int main() {
    std::string word;
    int total = 0;
    while (std::cin >> word) {
        for (char ch : word) {
            switch (ch) {
                case 'a': case 'e': case 'i': case 'o': case 'u':
                    ++total;
                    break;
                default:
                    break;
            }
        }
    }
    std::cout << total << std::endl;
    return 0;
}
''',
r'''#include <stdio.h>

int main() {
    int ch, cnt = 0;
    while ((ch = getchar()) != EOF) {
        if (ch == 'a' || ch == 'e' || ch == 'i' || ch == 'o' || ch == 'u') cnt++;
    }
    printf("%d\n", cnt);
    return 0;
}
''',
r'''#include <bits/stdc++.h>
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
''',
])

problem("p013", "Diagonal sum", "Read n and an n x n integer matrix; print the sum of its main diagonal.",
        "3\n1 2 3\n4 5 6\n7 8 9\n", "15\n", [
r'''#include <bits/stdc++.h>
using namespace std;

int main() {
    int n;
    cin >> n;
    long long s = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            long long x;
            cin >> x;
            if (i == j) s += x;
        }
    cout << s << endl;
    return 0;
}
''',
r'''#include <iostream>
#include <vector>
using namespace std;

int main() {
    int n;
    cin >> n;
    vector<vector<int>> a(n, vector<int>(n));
    for (auto &row : a)
        for (auto &x : row) cin >> x;
    long long trace = 0;
    for (int i = 0; i < n; i++) trace += a[i][i];
    cout << trace << "\n";
    return 0;
}
''',
r'''#include <cstdio>

int a[505][505];

int main() {
    int n;
    scanf("%d", &n);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) scanf("%d", &a[i][j]);
    long long s = 0;
    for (int i = 0; i < n; i++) s += a[i][i];
    printf("%lld\n", s);
    return 0;
}
''',
r'''#include <iostream>

int main() {
    int n;
    std::cin >> n;
    long long sum = 0;
    for (int k = 0; k < n * n; ++k) {
        int v;
        std::cin >> v;
        if (k / n == k % n) sum += v;
    }
    std::cout << sum << std::endl;
    return 0;
}
''',
r'''#include <bits/stdc++.h>
using namespace std;
typedef vector<vector<long long>> Matrix;

long long trace(const Matrix& m) {
    long long t = 0;
    for (size_t i = 0; i < m.size(); i++) t += m[i][i];
    return t;
}

int main() {
    int n;
    cin >> n;
    Matrix m(n, vector<long long>(n));
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) cin >> m[i][j];
    cout << trace(m) << '\n';
}
''',
r'''#include <stdio.h>

int main() {
    int n, i, j, x;
    long long s = 0;
    scanf("%d", &n);
    for (i = 0; i < n; i++) {
        for (j = 0; j < n; j++) {
            scanf("%d", &x);
            s += (i == j) ? x : 0;
        }
    }
    printf("%lld\n", s);
    return 0;
}
''',
r'''#include <bits/stdc++.h>
#define REP(i, n) for (int i = 0; i < (int)(n); ++i)
using namespace std;

int main() {
    ios::sync_with_stdio(false);
    int n;
    cin >> n;
    vector<int> flat(n * n);
    REP(i, n * n) cin >> flat[i];
    long long d = 0;
    REP(i, n) d += flat[i * n + i];
    cout << d << endl;
    return 0;
}
''',
])

problem("p014", "Binary representation", "Read a positive integer n (up to 1e18); print it in binary without leading zeros.",
        "10\n", "1010\n", [
r'''#include <bits/stdc++.h>
using namespace std;

int main() {
    long long n;
    cin >> n;
    string s;
    while (n > 0) {
        s += char('0' + n % 2);
        n /= 2;
    }
    reverse(s.begin(), s.end());
    cout << s << endl;
    return 0;
}
''',
r'''#include <iostream>
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
''',
r'''#include <cstdio>

void printBin(unsigned long long n) {
    if (n > 1) printBin(n >> 1);
    putchar('0' + (int)(n & 1));
}

int main() {
    unsigned long long n;
    scanf("%llu", &n);
    printBin(n);
    putchar('\n');
    return 0;
}
''',
r'''#include <iostream>
#include <vector>

int main() {
    long long n;
    std::cin >> n;
    std::vector<int> bits;
    do {
        bits.push_back(n & 1);
        n >>= 1;
    } while (n);
    for (auto it = bits.rbegin(); it != bits.rend(); ++it) std::cout << *it;
    std::cout << '\n';
    return 0;
}
''',
r'''#include <stdio.h>

int main() {
    unsigned long long n;
    int i, started = 0;
    scanf("%llu", &n);
    for (i = 63; i >= 0; i--) {
        if ((n >> i) & 1ULL) started = 1;
        if (started) putchar(((n >> i) & 1ULL) ? '1' : '0');
    }
    putchar('\n');
    return 0;
}
''',
r'''#include <bits/stdc++.h>
using namespace std;
typedef unsigned long long ull;

string toBinary(ull n) {
    if (n == 0) return "0";
    string r;
    for (; n; n >>= 1) r.push_back((n & 1) ? '1' : '0');
    return string(r.rbegin(), r.rend());
}

int main() {
    ull n;
    cin >> n;
    cout << toBinary(n) << "\n";
}
''',
r'''#include <iostream>
#include <string>
using namespace std;

int main() {
    long long n;
    cin >> n;
    int hi = 63 - __builtin_clzll((unsigned long long)n);
    string out;
    for (int b = hi; b >= 0; b--) out += ((n >> b) & 1) ? '1' : '0';
    cout << out << endl;
    return 0;
}
''',
])

problem("p015", "Second largest", "Read n and n integers (at least two distinct values); print the second largest distinct value.",
        "6\n5 1 5 3 4 2\n", "4\n", [
r'''#include <bits/stdc++.h>
using namespace std;

int main() {
    int n;
    cin >> n;
    set<int> s;
    for (int i = 0; i < n; i++) {
        int x;
        cin >> x;
        s.insert(x);
    }
    auto it = s.rbegin();
    ++it;
    cout << *it << endl;
    return 0;
}
''',
r'''#include <iostream>
#include <climits>
using namespace std;

int main() {
    int n;
    cin >> n;
    long long first = LLONG_MIN, second = LLONG_MIN;
    for (int i = 0; i < n; i++) {
        long long x;
        cin >> x;
        if (x > first) {
            second = first;
            first = x;
        } else if (x < first && x > second) {
            second = x;
        }
    }
    cout << second << "\n";
    return 0;
}
''',
r'''#include <cstdio>
#include <algorithm>

int a[100005];

int main() {
    int n;
    scanf("%d", &n);
    for (int i = 0; i < n; i++) scanf("%d", &a[i]);
    std::sort(a, a + n);
    int i = n - 1;
    while (i > 0 && a[i - 1] == a[n - 1]) i--;
    printf("%d\n", a[i - 1]);
    return 0;
}
''',
r'''#include <bits/stdc++.h>
using namespace std;

int main() {
    int n;
    cin >> n;
    vector<int> v(n);
    for (auto &x : v) cin >> x;
    sort(v.begin(), v.end(), greater<int>());
    v.erase(unique(v.begin(), v.end()), v.end());
    cout << v[1] << '\n';
}
''',
r'''#include <iostream>
#include <vector>
#include <algorithm>

int main() {
    int n;
    std::cin >> n;
    std::vector<int> v(n);
    for (int &x : v) std::cin >> x;
    int mx = *std::max_element(v.begin(), v.end());
    int best = -2147483647 - 1;
    for (int x : v)
        if (x != mx) best = std::max(best, x);
    std::cout << best << std::endl;
    return 0;
}
''',
r'''#include <stdio.h>

int main() {
    int n, i, x, m1, m2, have2 = 0;
    scanf("%d", &n);
    scanf("%d", &m1);
    m2 = m1;
    for (i = 1; i < n; i++) {
        scanf("%d", &x);
        if (x > m1) {
            m2 = m1;
            m1 = x;
            have2 = 1;
        } else if (x < m1 && (!have2 || x > m2)) {
            m2 = x;
            have2 = 1;
        }
    }
    printf("%d\n", m2);
    return 0;
}
''',
r'''#include <bits/stdc++.h>
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
''',
])

problem("p016", "Range sums", "Read n, n integers and q queries l r (1-based, inclusive); print the sum of each range.",
        "5\n1 2 3 4 5\n3\n1 5\n2 3\n4 4\n", "15\n5\n4\n", [
r'''#include <bits/stdc++.h>
using namespace std;
typedef long long ll;

int main() {
    ios::sync_with_stdio(false);
    cin.tie(nullptr);
    int n;
    cin >> n;
    vector<ll> pre(n + 1, 0);
    for (int i = 1; i <= n; i++) {
        ll x;
        cin >> x;
        pre[i] = pre[i - 1] + x;
    }
    int q;
    cin >> q;
    while (q--) {
        int l, r;
        cin >> l >> r;
        cout << pre[r] - pre[l - 1] << '\n';
    }
    return 0;
}
''',
r'''#include <cstdio>

long long pre[200005];

int main() {
    int n, q, l, r;
    scanf("%d", &n);
    for (int i = 1; i <= n; i++) {
        long long x;
        scanf("%lld", &x);
        pre[i] = pre[i - 1] + x;
    }
    scanf("%d", &q);
    while (q--) {
        scanf("%d %d", &l, &r);
        printf("%lld\n", pre[r] - pre[l - 1]);
    }
    return 0;
}
''',
r'''#include <iostream>
#include <vector>
#include <numeric>
using namespace std;

int main() {
    int n;
    cin >> n;
    vector<long long> a(n), p(n + 1, 0);
    for (auto &x : a) cin >> x;
    partial_sum(a.begin(), a.end(), p.begin() + 1);
    int q;
    cin >> q;
    for (int i = 0; i < q; i++) {
        int l, r;
        cin >> l >> r;
        cout << p[r] - p[l - 1] << endl;
    }
    return 0;
}
''',
r'''#include <bits/stdc++.h>
using namespace std;

struct Fenwick {
    int n;
    vector<long long> t;
    Fenwick(int n) : n(n), t(n + 1, 0) {}
    void add(int i, long long v) {
        for (; i <= n; i += i & -i) t[i] += v;
    }
    long long sum(int i) const {
        long long s = 0;
        for (; i > 0; i -= i & -i) s += t[i];
        return s;
    }
};

int main() {
    int n;
    cin >> n;
    Fenwick fw(n);
    for (int i = 1; i <= n; i++) {
        long long x;
        cin >> x;
        fw.add(i, x);
    }
    int q;
    cin >> q;
    while (q--) {
        int l, r;
        cin >> l >> r;
        cout << fw.sum(r) - fw.sum(l - 1) << "\n";
    }
}
''',
r'''#include <iostream>
#include <vector>

int main() {
    int n;
    std::cin >> n;
    std::vector<long long> v(n);
    for (int i = 0; i < n; ++i) std::cin >> v[i];
    int q;
    std::cin >> q;
    while (q-- > 0) {
        int l, r;
        std::cin >> l >> r;
        long long s = 0;
        for (int i = l - 1; i < r; ++i) s += v[i];
        std::cout << s << '\n';
    }
    return 0;
}
''',
r'''#include <stdio.h>
#include <stdlib.h>

int main() {
    int n, q, i, l, r;
    scanf("%d", &n);
    long long *p = (long long *)calloc(n + 1, sizeof(long long));
    for (i = 1; i <= n; i++) {
        long long x;
        scanf("%lld", &x);
        p[i] = p[i - 1] + x;
    }
    scanf("%d", &q);
    for (i = 0; i < q; i++) {
        scanf("%d%d", &l, &r);
        printf("%lld\n", p[r] - p[l - 1]);
    }
    free(p);
    return 0;
}
''',
r'''#include <bits/stdc++.h>
#define int long long
using namespace std;

int32_t main() {
    int n;
    cin >> n;
    vector<int> s(n + 1);
    for (int i = 1; i <= n; i++) {
        cin >> s[i];
        s[i] += s[i - 1];
    }
    int q;
    cin >> q;
    string out;
    while (q--) {
        int l, r;
        cin >> l >> r;
        out += to_string(s[r] - s[l - 1]) + "\n";
    }
    cout << out;
    return 0;
}
''',
])

problem("p017", "Count words", "Read one line; print the number of words (maximal runs of non-space characters).",
        "the quick  brown fox\n", "4\n", [
r'''#include <bits/stdc++.h>
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
''',
r'''#include <iostream>
#include <string>
using namespace std;

int main() {
    string s;
    int c = 0;
    while (cin >> s) c++;
    cout << c << "\n";
    return 0;
}
''',
r'''#include <cstdio>
#include <cctype>

int main() {
    int ch, words = 0, inWord = 0;
    while ((ch = getchar()) != EOF && ch != '\n') {
        if (isspace(ch)) {
            inWord = 0;
        } else if (!inWord) {
            inWord = 1;
            words++;
        }
    }
    printf("%d\n", words);
    return 0;
}
''',
r'''#include <iostream>
#include <string>
#include <cctype>

int countWords(const std::string& s) {
    int n = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        bool start = !std::isspace((unsigned char)s[i]) && (i == 0 || std::isspace((unsigned char)s[i - 1]));
        if (start) ++n;
    }
    return n;
}

int main() {
    std::string line;
    std::getline(std::cin, line);
    std::cout << countWords(line) << std::endl;
    return 0;
}
''',
r'''#include <bits/stdc++.h>
using namespace std;

int main() {
    string s;
    getline(cin, s);
    istringstream in(s);
    vector<string> words{istream_iterator<string>(in), istream_iterator<string>()};
    cout << words.size() << '\n';
}
''',
r'''#include <stdio.h>
#include <string.h>

int main() {
    char buf[10005];
    int count = 0;
    char *tok;
    if (fgets(buf, sizeof(buf), stdin) == NULL) {
        printf("0\n");
        return 0;
    }
    tok = strtok(buf, " \t\r\n");
    while (tok != NULL) {
        count++;
        tok = strtok(NULL, " \t\r\n");
    }
    printf("%d\n", count);
    return 0;
}
''',
r'''#include <iostream>
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
''',
])

problem("p018", "Modular power", "Read a, b, m (0 <= a, b <= 1e18, 1 <= m <= 1e9); print a^b mod m.",
        "2 10 1000\n", "24\n", [
r'''#include <bits/stdc++.h>
using namespace std;
typedef long long ll;

ll power(ll a, ll b, ll m) {
    ll r = 1 % m;
    a %= m;
    while (b > 0) {
        if (b & 1) r = r * a % m;
        a = a * a % m;
        b >>= 1;
    }
    return r;
}

int main() {
    ll a, b, m;
    cin >> a >> b >> m;
    cout << power(a, b, m) << endl;
    return 0;
}
''',
r'''#include <cstdio>

typedef unsigned long long ull;

ull mpow(ull a, ull b, ull m) {
    if (b == 0) return 1 % m;
    ull h = mpow(a, b / 2, m);
    h = h * h % m;
    if (b % 2) h = h * (a % m) % m;
    return h;
}

int main() {
    ull a, b, m;
    scanf("%llu %llu %llu", &a, &b, &m);
    printf("%llu\n", mpow(a, b, m));
    return 0;
}
''',
r'''#include <iostream>
using namespace std;

int main() {
    long long a, b, m;
    cin >> a >> b >> m;
    long long result = 1 % m, base = a % m;
    for (; b; b /= 2) {
        if (b % 2 == 1) result = (result * base) % m;
        base = (base * base) % m;
    }
    cout << result << "\n";
    return 0;
}
''',
r'''#include <bits/stdc++.h>
#define ll long long
using namespace std;

int main() {
    ios::sync_with_stdio(0);
    ll a, b, m;
    cin >> a >> b >> m;
    a %= m;
    ll ans = 1 % m;
    while (b) {
        if (b & 1LL) ans = (__int128)ans * a % m;
        a = (__int128)a * a % m;
        b >>= 1;
    }
    cout << ans << '\n';
}
''',
r'''#include <stdio.h>

int main() {
    long long a, b, m, r, x;
    scanf("%lld%lld%lld", &a, &b, &m);
    r = 1 % m;
    x = a % m;
    while (b > 0) {
        if (b % 2) r = r * x % m;
        x = x * x % m;
        b /= 2;
    }
    printf("%lld\n", r);
    return 0;
}
''',
r'''#include <iostream>
#include <cstdint>

std::uint64_t modpow(std::uint64_t base, std::uint64_t exp, std::uint64_t mod) {
    std::uint64_t result = 1 % mod;
    base %= mod;
    while (exp != 0) {
        if (exp & 1U) result = result * base % mod;
        base = base * base % mod;
        exp >>= 1U;
    }
    return result;
}

int main() {
    std::uint64_t a, b, m;
    std::cin >> a >> b >> m;
    std::cout << modpow(a, b, m) << std::endl;
    return 0;
}
''',
r'''#include <bits/stdc++.h>
using namespace std;

int main() {
    long long a, b, m;
    cin >> a >> b >> m;
    vector<long long> sq;
    long long cur = a % m;
    for (long long e = b; e > 0; e >>= 1) {
        sq.push_back(cur);
        cur = cur * cur % m;
    }
    long long r = 1 % m;
    for (size_t i = 0; i < sq.size(); i++)
        if ((b >> i) & 1) r = r * sq[i] % m;
    cout << r << endl;
    return 0;
}
''',
])

problem("p019", "Distinct values", "Read n and n integers; print how many distinct values there are.",
        "7\n3 1 3 2 1 5 3\n", "4\n", [
r'''#include <bits/stdc++.h>
using namespace std;

int main() {
    int n;
    cin >> n;
    set<long long> s;
    for (int i = 0; i < n; i++) {
        long long x;
        cin >> x;
        s.insert(x);
    }
    cout << s.size() << endl;
    return 0;
}
''',
r'''#include <iostream>
#include <vector>
#include <algorithm>
using namespace std;

int main() {
    int n;
    cin >> n;
    vector<int> a(n);
    for (int &x : a) cin >> x;
    sort(a.begin(), a.end());
    cout << unique(a.begin(), a.end()) - a.begin() << "\n";
    return 0;
}
''',
r'''#include <cstdio>
#include <algorithm>

int a[200005];

int main() {
    int n;
    scanf("%d", &n);
    for (int i = 0; i < n; i++) scanf("%d", &a[i]);
    std::sort(a, a + n);
    int d = n > 0;
    for (int i = 1; i < n; i++)
        if (a[i] != a[i - 1]) d++;
    printf("%d\n", d);
    return 0;
}
''',
r'''#include <bits/stdc++.h>
using namespace std;

int main() {
    ios::sync_with_stdio(false);
    int n;
    cin >> n;
    unordered_set<int> seen;
    seen.reserve(n * 2 + 1);
    for (int i = 0; i < n; i++) {
        int x;
        cin >> x;
        seen.insert(x);
    }
    cout << seen.size() << '\n';
}
''',
r'''#include <iostream>
#include <map>

int main() {
    int n;
    std::cin >> n;
    std::map<long long, int> freq;
    for (int i = 0; i < n; ++i) {
        long long x;
        std::cin >> x;
        ++freq[x];
    }
    std::cout << freq.size() << std::endl;
    return 0;
}
''',
r'''#include <stdio.h>
#include <stdlib.h>

int cmp(const void *p, const void *q) {
    long long a = *(const long long *)p, b = *(const long long *)q;
    return a < b ? -1 : (a > b);
}

int main() {
    int n, i, d = 0;
    scanf("%d", &n);
    long long *a = (long long *)malloc(sizeof(long long) * (n + 1));
    for (i = 0; i < n; i++) scanf("%lld", &a[i]);
    qsort(a, n, sizeof(long long), cmp);
    for (i = 0; i < n; i++)
        if (i == 0 || a[i] != a[i - 1]) d++;
    printf("%d\n", d);
    free(a);
    return 0;
}
''',
r'''#include <bits/stdc++.h>
using namespace std;
#define sz(x) (int)(x).size()

int main() {
    int n;
    cin >> n;
    vector<int> v(n);
    for (auto &x : v) cin >> x;
    set<int> st(v.begin(), v.end());
    cout << sz(st) << endl;
    return 0;
}
''',
])

problem("p020", "Maximum subarray", "Read n and n integers; print the largest sum of a non-empty contiguous subarray.",
        "8\n-2 1 -3 4 -1 2 1 -5\n", "6\n", [
r'''#include <bits/stdc++.h>
using namespace std;
typedef long long ll;

int main() {
    int n;
    cin >> n;
    ll best = LLONG_MIN, cur = 0;
    for (int i = 0; i < n; i++) {
        ll x;
        cin >> x;
        cur = max(x, cur + x);
        best = max(best, cur);
    }
    cout << best << endl;
    return 0;
}
''',
r'''#include <cstdio>
#include <algorithm>

int main() {
    int n;
    scanf("%d", &n);
    long long x, cur, best;
    scanf("%lld", &x);
    cur = best = x;
    for (int i = 1; i < n; i++) {
        scanf("%lld", &x);
        cur = std::max(x, cur + x);
        best = std::max(best, cur);
    }
    printf("%lld\n", best);
    return 0;
}
''',
r'''#include <iostream>
#include <vector>
#include <climits>
using namespace std;

long long kadane(const vector<long long>& a) {
    long long best = LLONG_MIN, sum = 0;
    for (long long x : a) {
        sum += x;
        if (sum > best) best = sum;
        if (sum < 0) sum = 0;
    }
    return best;
}

int main() {
    int n;
    cin >> n;
    vector<long long> a(n);
    for (auto &x : a) cin >> x;
    cout << kadane(a) << "\n";
    return 0;
}
''',
r'''#include <bits/stdc++.h>
using namespace std;

int main() {
    ios::sync_with_stdio(false);
    int n;
    cin >> n;
    vector<long long> pre(n + 1, 0);
    for (int i = 1; i <= n; i++) {
        long long x;
        cin >> x;
        pre[i] = pre[i - 1] + x;
    }
    long long mn = 0, ans = LLONG_MIN;
    for (int i = 1; i <= n; i++) {
        ans = max(ans, pre[i] - mn);
        mn = min(mn, pre[i]);
    }
    cout << ans << '\n';
}
''',
r'''#include <stdio.h>

int main() {
    int n, i;
    long long x, cur = 0, best = 0;
    int first = 1;
    scanf("%d", &n);
    for (i = 0; i < n; i++) {
        scanf("%lld", &x);
        cur = (cur > 0 ? cur : 0) + x;
        if (first || cur > best) {
            best = cur;
            first = 0;
        }
    }
    printf("%lld\n", best);
    return 0;
}
''',
r'''#include <iostream>
#include <vector>
#include <algorithm>

int main() {
    int n;
    std::cin >> n;
    std::vector<long long> a(n), dp(n);
    for (auto &v : a) std::cin >> v;
    dp[0] = a[0];
    for (int i = 1; i < n; ++i) dp[i] = std::max(a[i], dp[i - 1] + a[i]);
    std::cout << *std::max_element(dp.begin(), dp.end()) << std::endl;
    return 0;
}
''',
r'''#include <bits/stdc++.h>
using namespace std;
using ll = long long;

ll solve(const vector<ll>& a, int l, int r) {
    if (l == r) return a[l];
    int m = (l + r) / 2;
    ll left = LLONG_MIN, s = 0;
    for (int i = m; i >= l; i--) {
        s += a[i];
        left = max(left, s);
    }
    ll right = LLONG_MIN;
    s = 0;
    for (int i = m + 1; i <= r; i++) {
        s += a[i];
        right = max(right, s);
    }
    return max({solve(a, l, m), solve(a, m + 1, r), left + right});
}

int main() {
    int n;
    cin >> n;
    vector<ll> a(n);
    for (auto &x : a) cin >> x;
    cout << solve(a, 0, n - 1) << endl;
    return 0;
}
''',
])


def main() -> None:
    if ROOT.exists():
        shutil.rmtree(ROOT)
    sid = 100000
    with open_list() as plist:
        for pid, (title, statement, sin, sout, accepted, rejected) in PROBLEMS.items():
            code_dir = ROOT / "data" / pid / "C++"
            code_dir.mkdir(parents=True)
            io_dir = ROOT / "derived" / "input_output" / "data" / pid
            io_dir.mkdir(parents=True)
            (io_dir / "input.txt").write_text(sin)
            (io_dir / "output.txt").write_text(sout)
            desc = ROOT / "problem_descriptions"
            desc.mkdir(exist_ok=True)
            (desc / f"{pid}.txt").write_text(f"{title}\n\n{statement}\n")
            meta = ROOT / "metadata"
            meta.mkdir(exist_ok=True)
            with open(meta / f"{pid}.csv", "w", newline="") as f:
                w = csv.writer(f, lineterminator="\n")
                w.writerow(["submission_id", "problem_id", "language", "original_language", "filename_ext", "status"])
                for status, src in [("Accepted", s) for s in accepted] + rejected:
                    sid += 1
                    name = f"s{sid}"
                    (code_dir / f"{name}.cpp").write_text(src)
                    w.writerow([name, pid, "C++", "C++17 (GCC 12)", "cpp", status])
            plist.writerow([pid, title, len(accepted), 1])


class open_list:
    def __enter__(self):
        ROOT.mkdir(parents=True, exist_ok=True)
        self.f = open(ROOT / "problem_list.csv", "w", newline="")
        w = csv.writer(self.f, lineterminator="\n")
        w.writerow(["problem_id", "name", "num_cpp_accepted", "sample_io"])
        return w

    def __exit__(self, *exc):
        self.f.close()


if __name__ == "__main__":
    main()
