"""The compile scorer with a g++ that really runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cfdpo.scoring import CompileScorer, Verdict
from cfdpo.scoring.diagnostics import Diagnostic, error_kind, normalise_message, parse_gcc_output

OK = '#include <cstdio>\nint main() { std::puts("hi"); return 0; }\n'
WARN = "int f() { }\nint main() { return f(); }\n"  # -Wreturn-type is on by default in g++ 12
ERR = '#include <cstdio>\nint main() {\n  int x = 1;\n  std::printf("%d", y);\n}\n'
LINK = "int g();\nint main() { return g(); }\n"
# a constexpr loop of 1e12 steps with the evaluation limits lifted: g++ runs until killed
SLOW = (
    "constexpr long long f() { long long s = 0; for (long long i = 0; i < 1000000000000LL; ++i) s += i; "
    "return s; }\nstatic_assert(f() > 0);\nint main() {}\n"
)
SLOW_FLAGS = ("-fconstexpr-loop-limit=2000000000", "-fconstexpr-ops-limit=4000000000000")


def test_ok(tmp_path):
    r = CompileScorer(tmp_root=str(tmp_path)).score(OK)
    assert r.verdict is Verdict.OK and r.good and r.returncode == 0
    assert r.diagnostics == [] and r.elapsed_ms > 0
    assert r.command[:3] == ["g++", "-std=c++17", "-fdiagnostics-format=json"]
    assert os.listdir(tmp_path) == []  # the temp dir is always removed


def test_warning_counts_as_bad_under_the_paper_policy():
    r = CompileScorer(warnings="error").score(WARN)
    assert r.verdict is Verdict.WARNING and not r.good and r.returncode == 0
    (d,) = r.warnings
    assert d.option == "-Wreturn-type" and d.line == 1 and d.file == "prog.cpp"
    assert CompileScorer(warnings="allow").score(WARN).good


def test_extra_flags_are_policy():
    src = "int main() { int unused; return 0; }\n"
    assert CompileScorer().score(src).verdict is Verdict.OK
    r = CompileScorer(extra_flags=("-Wall",)).score(src)
    assert r.verdict is Verdict.WARNING and "-Wall" in r.command
    assert r.warnings[0].option == "-Wunused-variable"


def test_error_diagnostics_are_parsed():
    r = CompileScorer().score(ERR)
    assert r.verdict is Verdict.ERROR and not r.good and r.returncode == 1
    (e,) = r.errors
    assert e.kind == "error" and e.line == 4 and e.column == 21
    assert "'y' was not declared" in e.message  # LC_ALL=C: ASCII quotes
    assert error_kind(e) == "undeclared_identifier"


def test_link_error_only_in_link_mode():
    r = CompileScorer(mode="link").score(LINK)
    assert r.verdict is Verdict.ERROR
    assert error_kind(r.errors[0]) == "link_error" and "undefined reference" in r.errors[0].message
    assert CompileScorer(mode="object").score(LINK).verdict is Verdict.OK
    assert CompileScorer(mode="syntax").score(LINK).verdict is Verdict.OK


def test_timeout_kills_the_compiler(tmp_path):
    r = CompileScorer(timeout_s=1.5, extra_flags=SLOW_FLAGS, tmp_root=str(tmp_path)).score(SLOW)
    assert r.verdict is Verdict.TIMEOUT and not r.good and r.returncode is None
    assert 1400 < r.elapsed_ms < 15000
    assert os.listdir(tmp_path) == []
    out = subprocess.run(["pgrep", "-f", "fconstexpr-loop-limit=2000000000"], capture_output=True, text=True)
    assert out.stdout.strip() == ""  # no cc1plus left behind


def test_memory_limit_gives_resource_limit():
    # parsing <bits/stdc++.h> needs about 200 MiB of address space; with 40 MiB cc1plus cannot even load
    for mb in (40, 120):
        r = CompileScorer(memory_mb=mb).score("#include <bits/stdc++.h>\nint main() {}\n")
        assert r.verdict is Verdict.RESOURCE_LIMIT and not r.good, (mb, r.stderr)


def test_score_many_keeps_order_and_dedups():
    srcs = [ERR, OK, WARN, OK, ERR]
    res = CompileScorer().score_many(srcs, workers=2)
    assert [r.verdict for r in res] == [Verdict.ERROR, Verdict.OK, Verdict.WARNING, Verdict.OK, Verdict.ERROR]
    assert res[1] is res[3]  # identical sources compile once


def test_result_round_trips_through_json():
    from cfdpo.scoring import CompileResult

    r = CompileScorer().score(ERR)
    back = CompileResult.from_dict(r.to_dict())
    assert back.verdict is r.verdict and back.diagnostics == r.diagnostics and back.command == r.command


def test_config_records_the_policy():
    c = CompileScorer(std="c++20", mode="object", warnings="allow", extra_flags=("-Wall",)).config()
    assert c["std"] == "c++20" and c["warnings"] == "allow" and c["extra_flags"] == ["-Wall"]
    assert "g++" in c["compiler_version"] and "-std=c++20" in c["command"]


@pytest.mark.parametrize("kw", [{"mode": "run"}, {"warnings": "maybe"}, {"timeout_s": 0}])
def test_bad_arguments_raise(kw):
    with pytest.raises(ValueError):
        CompileScorer(**kw)


def test_missing_compiler_raises():
    with pytest.raises(FileNotFoundError, match="not-a-compiler"):
        CompileScorer(compiler="not-a-compiler")


def test_parse_handles_linker_tail_and_junk():
    diags, ok = parse_gcc_output(
        "[]\n/usr/bin/ld: a.o: in function `main':\nprog.cpp:(.text+0x5): "
        "undefined reference to `g()'\ncollect2: error: ld returned 1 exit status\n"
    )
    assert ok and [d.kind for d in diags] == ["link error", "link error"]
    assert diags[0].message == "undefined reference to `g()'"
    diags, ok = parse_gcc_output('[{"kind": "error", "message": "x"')  # truncated JSON
    assert not ok and diags == []
    diags, ok = parse_gcc_output("\x00\xff garbage\nprog.cpp:1: error: boom\n")
    assert not ok and diags[0].kind == "error"
    assert parse_gcc_output("") == ([], True)


def test_error_kinds():
    cases = {
        "expected ';' before '}' token": "expected_token",
        "'foo' was not declared in this scope": "undeclared_identifier",
        "no matching function for call to 'f(int)'": "no_matching_function",
        "cannot convert 'std::string' to 'int'": "type_mismatch",
        'missing terminating " character': "unterminated_literal",
        "no return statement in function returning non-void": "missing_return",
        "something entirely different": "other",
    }
    for msg, kind in cases.items():
        assert error_kind(Diagnostic("error", msg)) == kind, msg
    assert normalise_message("'a' was not declared; did you mean 'b'?") == "'…' was not declared; did you mean '…'?"


def test_scorer_imports_without_torch():
    code = "import sys, cfdpo.scoring, cfdpo; cfdpo.CompileScorer; assert 'torch' not in sys.modules, 'torch'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_result_cache_is_keyed_by_source_and_policy(tmp_path, monkeypatch):
    s = CompileScorer(cache_dir=tmp_path)
    first = s.score(ERR)
    assert len(list(tmp_path.glob("*/*.json"))) == 1

    def boom(source):  # a cache hit must not compile again
        raise AssertionError("compiled again")

    monkeypatch.setattr(s, "_compile", boom)
    again = s.score(ERR)
    assert again.to_dict() == first.to_dict()
    other = CompileScorer(cache_dir=tmp_path, warnings="allow")  # another policy: another key
    assert other.score(ERR).verdict is Verdict.ERROR
    assert len(list(tmp_path.glob("*/*.json"))) == 2


def test_result_cache_never_stores_timeouts(tmp_path):
    s = CompileScorer(timeout_s=1.0, extra_flags=SLOW_FLAGS, cache_dir=tmp_path)
    assert s.score(SLOW).verdict is Verdict.TIMEOUT
    assert list(tmp_path.glob("*/*.json")) == []


def test_result_cache_under_concurrent_writers(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    scorers = [CompileScorer(mode="syntax", cache_dir=tmp_path) for _ in range(4)]
    srcs = [f"int main() {{ return {i % 3}; }}\n" for i in range(12)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda i: scorers[i % 4].score(srcs[i]), range(12)))
    assert all(r.verdict is Verdict.OK for r in results)
    assert len(list(tmp_path.glob("*/*.json"))) == 3 and not list(tmp_path.glob("*/*.tmp"))


def _view(r):
    return (r.verdict, r.returncode, [(d.kind, d.message, d.line, d.column, d.option) for d in r.diagnostics])


PCH_CASES = [
    OK,
    WARN,
    ERR,
    LINK,
    "#include <bits/stdc++.h>\n// a comment\n#include <vector>  // more\n\nusing namespace std;\n"
    'int main() { vector<int> v; cout << v.size() << endl; int x = "s"; }\n',
    "#include <bits/stdc++.h>\nusing namespace std;\nint main() { int n; cin >> n; cout << n * 2 << '\\n'; }\n",
    "#include <bits/stdc++.h>\nusing namespace std;\nint main() { for (int i = 0; i < 3; i++) cout << i }\n",
    "#include <nonexistent_header>\nint main() {}\n",  # the preamble itself fails
    '// quoted\n#include "bits/stdc++.h"\n#include "nonexistent.h"\nint main() {}\n',  # a quoted prefix, then a miss
    '#include "prog.cpp"\nint main() {}\n',  # resolves beside the program: never a PCH
    "#include <vector>\n#define N 10\n#include <map>\nint main() { std::map<int, int> m; return m.size() + N; }\n",
    "#include <cstdio>\nint f() { }\nint main() { return f(); }\n",  # a middle-end warning after the preamble
]


@pytest.mark.parametrize("mode", ["link", "syntax"])
def test_pch_and_syntax_first_never_change_a_verdict_or_a_line_number(tmp_path, mode):
    plain = CompileScorer(mode=mode, pch=False, fast_link=False)
    fast = CompileScorer(mode=mode, pch=True, pch_dir=tmp_path / "pch", syntax_first=True)
    fast.pch.min_uses = 1  # build a PCH for every preamble, to exercise each one
    for src in PCH_CASES:
        a, b = plain.score(src), fast.score(src)
        assert _view(a) == _view(b), src
    used = [r for r in (fast.score(s) for s in PCH_CASES) if "-include" in r.command]
    assert used, "the PCH was never used"
    assert (tmp_path / "pch").is_dir() and list((tmp_path / "pch").glob("*/pre.h.gch"))
    assert list((tmp_path / "pch").glob("*.failed"))  # <nonexistent_header> is remembered as failing


LINK_CASES = [
    OK,
    WARN,
    ERR,
    LINK,
    "int g() { return 1; }\n",  # no main
    "struct S { static int z; };\nint main() { return S::z; }\n",  # undefined static member
    '#include <cstdio>\nint a[800000000], b[800000000];\nint main() { a[5] = 1; b[7] = 2; std::printf("%d", a[5] + b[7]); }\n',
    "#include <cmath>\nint main(int c, char**) { return (int)std::sqrt((double)c); }\n",
]


@pytest.mark.skipif(shutil.which("ld.gold") is None, reason="GNU gold is not installed")
def test_fast_link_gives_the_default_linkers_verdicts_and_diagnostics():
    """gold links first; a failure (or any output) is linked again by GNU ld, whose outcome is the result."""
    plain, fast = CompileScorer(pch=False, fast_link=False), CompileScorer(pch=False, fast_link=True)
    assert fast.fast_link and fast.speedups()["fast_link"]
    for src in LINK_CASES:
        a, b = plain.score(src), fast.score(src)
        assert _view(a) == _view(b), src
        if b.verdict in (Verdict.OK, Verdict.WARNING):
            assert "-fuse-ld=gold" in b.command  # linked by gold alone
        elif any(d.kind == "link error" for d in b.diagnostics):  # gold failed: GNU ld had the last word
            assert b.command[-3:] == ["prog.o", "-o", "prog"] and "-fuse-ld=gold" not in b.command
        else:  # a compile error: no link at all
            assert "&&" not in b.command and "-c" in b.command
    assert fast.stats["slow_links"] == 4  # LINK, no main, S::z, the 6 GB of arrays
    assert not CompileScorer(fast_link=True, extra_flags=("-fuse-ld=bfd",)).fast_link  # the flags chose a linker
    assert not CompileScorer(mode="object", fast_link=True).fast_link


def test_split_preamble():
    from cfdpo.scoring.pch import split_preamble

    assert split_preamble("#include <a>\n\n// x\n#include <b> // y\nint main() {}") == (["#include <a>", "#include <b>"], 4)
    assert split_preamble('#include "bits/x.h"\n#include <a>\n') == (["#include <bits/x.h>", "#include <a>"], 2)
    assert split_preamble('#include "pre.h"\n#include <a>\n') == ([], 0)  # it would be found beside the PCH
    assert split_preamble('#include "../x.h"\n') == ([], 0) == split_preamble('#include "/etc/x"\n')
    assert split_preamble('#include "a.h"\n', quoted=False) == ([], 0)
    assert split_preamble("int x;\n#include <a>\n") == ([], 0)
    assert split_preamble("#include <a>\n/* c */\n#include <b>\n") == (["#include <a>"], 1)


def test_pch_is_built_only_for_shared_preambles(tmp_path):
    s = CompileScorer(mode="syntax", pch=True, pch_dir=tmp_path)
    once = "#include <cstdio>\nint main() { return 0; }\n"
    assert "-include" not in s.score(once).command  # seen once: a plain compile
    shared = [f"#include{sp}<vector>\nint main() {{ return {i}; }}\n" for i, sp in enumerate(["", " ", "  "])]
    res = s.score_many(shared, workers=2)  # the batch shares it (spacing normalised): built at once
    assert all("-include" in r.command for r in res) and s.pch.builds == 1


def test_a_pch_of_a_shared_leading_part_serves_a_longer_preamble(tmp_path):
    """Three programs share <vector>; one adds <map> (seen once): it uses the <vector> PCH, <map> stays in the text."""
    plain = CompileScorer(mode="link", pch=False, fast_link=False)
    fast = CompileScorer(mode="link", pch=True, pch_dir=tmp_path)
    longer = (
        "#include <vector>\n// maps too\n#include <map>\n\nint main() {\n  std::map<int, int> m;\n"
        "  std::vector<int> v = m;\n}\n"
    )  # an error on line 7
    batch = [longer] + [f"#include <vector>\nint main() {{ std::vector<int> v({i}); return v.size(); }}\n" for i in range(2)]
    res = fast.score_many(batch, workers=2)
    # <map> after the PCH's part: a PCH without the template instantiations (see test_pch_plugin.py)
    assert fast.pch.builds == (2 if fast.pch.plugin() else 1) and all("-include" in r.command for r in res)
    header = res[0].command[res[0].command.index("-include") + 1]
    assert Path(header).read_text() == "#include <vector>\n"  # the shared part only
    for src, r in zip(batch, res):
        assert _view(r) == _view(plain.score(src)), src
    assert res[0].verdict is Verdict.ERROR and res[0].errors[0].line == 7
    text, _ = fast.pch.prepare(longer)
    assert text.split("\n")[:3] == ["", "// maps too", "#include <map>"]  # covered lines blanked, the rest kept


def test_the_no_argument_scorer_is_the_fast_one():
    """An embedding user gets what the commands use: PCH and the gold-first link (where gold exists)."""
    s = CompileScorer()
    assert s.pch is not None and s.fast_link == (shutil.which("ld.gold") is not None)
    assert s.speedups()["pch"] and s.config()["mode"] == "link"


def test_a_pch_is_built_only_where_it_can_pay_for_itself(tmp_path):
    """C library headers never end a PCH (they parse in ~10 ms); a leading part gets one after min_uses
    programs, a longer one whose shorter part gets its own only after extend_uses."""
    pch = CompileScorer(pch=True, pch_dir=tmp_path / "pch").pch
    assert pch is not None and (pch.min_uses, pch.extend_uses) == (3, 9)
    io, cstdio, vec = "#include <iostream>", "#include <cstdio>", "#include <vector>"
    pch._count([cstdio])
    for _ in range(9):
        pch._count([cstdio])  # 10 uses of a C header alone: nothing to save
    assert not pch._worth((cstdio,))
    pch._count([io])
    pch._count([io])
    assert not pch._worth((io,))  # 2 uses
    pch._count([io, cstdio])
    assert pch._worth((io,))  # 3 uses of <iostream> (one through the longer preamble)
    for _ in range(9):
        pch._count([io, cstdio])
    assert not pch._worth((io, cstdio))  # ends in a C header: <iostream>'s PCH saves as much
    for _ in range(8):
        pch._count([io, vec])
    assert not pch._worth((io, vec))  # 8 < extend_uses: <iostream>'s PCH is used instead
    pch._count([io, vec])
    assert pch._worth((io, vec))
    for _ in range(3):
        pch._count([cstdio, vec])
    assert pch._worth((cstdio, vec))  # the shorter part is a C header alone: min_uses is enough
    assert not pch._worth(('#include "stdio.h"',))  # quoted C headers are as cheap
