"""PCHs that hold the headers' template instantiations (the GCC plugin of cfdpo.scoring.pch_plugin): the
program's own compile does less work, its verdict and diagnostics are plain g++'s, and a program with a
later header that could add to what the instantiations see gets a PCH without them."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from cfdpo.scoring import CompileScorer, Verdict
from cfdpo.scoring.differential import differential, plain_gxx
from cfdpo.scoring.pch_plugin import PRAGMA, instantiate_plugin, plugin_include_dir

GXX = shutil.which("g++") or "g++"
needs_plugin = pytest.mark.skipif(plugin_include_dir(GXX) is None, reason="no GCC plugin headers (gcc-12-plugin-dev)")

BODY = [
    # compiles: uses what <bits/stdc++.h>'s own inline code instantiated, and more
    "int main() { std::string s; std::cin >> s; std::vector<int> v(s.size()); std::cout << v.size() << '\\n'; }\n",
    # an error inside a library template, with "required from here" notes pointing into the program
    "struct P { int x; };\nint main() { std::vector<P> v(3); std::sort(v.begin(), v.end()); }\n",
    # a warning the policy rejects (-Wreturn-type, on by default)
    "int f(int x) { if (x) return 1; }\nint main() { std::vector<int> v; return f(v.size()); }\n",
    # a specialization of a std template after the headers
    "template <> struct std::hash<std::pair<int, int>> {\n  size_t operator()(const std::pair<int, int>& p) const {"
    " return p.first; }\n};\nint main() { std::unordered_set<std::pair<int, int>> s; s.insert({1, 2}); return s.size(); }\n",
    # a macro after the headers that would break them, were they parsed after it
    '#define size length\nint main() { std::string s = "ab"; return s.length(); }\n',
]


def _pre_h(result) -> str:
    return Path(result.command[result.command.index("-include") + 1]).read_text()


def _functions_genericized(scorer: CompileScorer, source: str, tmp: Path) -> int:
    """Functions the program's own compile genericized (``-fdump-tree-original``): fewer when the PCH holds
    the instantiations."""
    text, include = scorer.pch.prepare(source)
    assert include is not None
    (tmp / "prog.cpp").write_text(text)
    subprocess.run(
        [GXX, *scorer.base_flags(), "-include", include, "-fdump-tree-original=orig.txt", "-c", "prog.cpp", "-o", "prog.o"],
        cwd=tmp,
        check=True,
        capture_output=True,
    )
    return (tmp / "orig.txt").read_text().count(";; Function ")


@needs_plugin
def test_the_plugin_builds_once_per_directory(tmp_path: Path) -> None:
    a = instantiate_plugin(GXX, "g++ test", str(tmp_path))
    assert a is not None and os.path.isfile(a) and a.startswith(str(tmp_path))
    assert instantiate_plugin(GXX, "g++ test", str(tmp_path)) == a
    assert instantiate_plugin(GXX, "g++ other", str(tmp_path)) != a  # another compiler gets its own


@needs_plugin
def test_a_pch_with_instantiations_leaves_the_program_less_to_compile(tmp_path: Path) -> None:
    src = "#include <bits/stdc++.h>\n" + BODY[0]
    counts = {}
    for inst in (True, False):
        s = CompileScorer(pch_dir=tmp_path / f"pch-{inst}")
        s.pch.instantiate = inst
        s.pch.min_uses = 1
        r = s.score(src)
        assert r.verdict is Verdict.OK and (PRAGMA in _pre_h(r)) is inst
        work = tmp_path / f"work-{inst}"
        work.mkdir()
        counts[inst] = _functions_genericized(s, src, work)
    # measured on g++ 12: 1,145 functions without the instantiations, 54 with them
    assert counts[True] * 5 < counts[False], counts


@needs_plugin
def test_verdicts_and_diagnostics_through_it_are_plain_gxxs() -> None:
    """Byte-identical stderr (differential compares verdict and diagnostics) for each kind of program, with
    the preambles that get an instantiating PCH."""
    scorer = CompileScorer()
    scorer.pch.min_uses = 1
    cases = [
        (f"{i}-{j}", "original", pre + body)
        for i, body in enumerate(BODY)
        for j, pre in enumerate(["#include <bits/stdc++.h>\n", "#include <bits/stdc++.h>\nusing namespace std;\n"])
    ]
    rep = differential(cases, scorer)
    assert rep.mismatches == []
    assert set(rep.verdicts) == {"ok", "error", "warning"}
    for _, _, src in cases:
        r = scorer.score(src)
        assert PRAGMA in _pre_h(r)
        assert r.stderr == plain_gxx(scorer, src).stderr  # not just the first diagnostic: all of it
    assert scorer.pch.plugin() is not None


@needs_plugin
def test_a_later_header_that_adds_declarations_gets_a_pch_without_instantiations(tmp_path: Path) -> None:
    scorer = CompileScorer(pch_dir=tmp_path)
    scorer.pch.min_uses = 1
    head = "#include <vector>\n"
    cases = {
        "alone": (head + "int main() { std::vector<int> v; return v.size(); }\n", True),
        # <map> is not part of <vector>: it may declare what an instantiation at the end would find
        "map after": (head + "#include <map>\nint main() { std::map<int, int> m; return m.size(); }\n", False),
        "map after code": (head + "int x;\n#include <map>\nint main() { return x; }\n", False),
        # a C library header adds C functions only; <bits/stl_vector.h> was included by <vector> already
        "cstdio after": (head + '#include <cstdio>\nint main() { return std::puts(""); }\n', True),
        "part of it after": (head + "#include <bits/stl_vector.h>\nint main() { std::vector<int> v; return v.size(); }\n", True),
    }
    for name, (src, inst) in cases.items():
        r = scorer.score(src)
        assert r.verdict is Verdict.OK, name
        assert (PRAGMA in _pre_h(r)) is inst, name
        assert r.stderr == plain_gxx(scorer, src).stderr, name


def test_without_the_plugin_pchs_hold_no_instantiations(tmp_path: Path) -> None:
    s = CompileScorer(pch_dir=tmp_path)
    s.pch.instantiate = False
    s.pch.min_uses = 1
    r = s.score("#include <vector>\nint main() { std::vector<int> v; return v.size(); }\n")
    assert r.verdict is Verdict.OK and PRAGMA not in _pre_h(r) and s.pch.plugin() is None
    assert not list(tmp_path.glob("plugin-*"))
