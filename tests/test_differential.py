"""The fast scorer against one plain g++ per program: the same verdict and first diagnostic, always.

A sample runs here (bundled programs and their mutations, plus real corpus programs when
``../shared/corpora`` is present); ``benchmarks/scorer.py --differential`` runs >= 1,000 real programs.
"""

from __future__ import annotations

import random

import pytest

from cfdpo.scoring import CompileScorer, Verdict
from cfdpo.scoring.differential import differential, mutations, plain_gxx

from .conftest import CODECHEF, sample_sources

ABS = 'int main(){ printf("%d", std::abs(-1)); }\n'


def _family(middle: str, n: int = 4) -> list[tuple[str, str, str]]:
    """``n`` programs sharing the <cstdio>,<cmath> preamble (so it gets a PCH: <cmath> is not a cheap header),
    a comment line in between; std::abs comes from <cmath>."""
    return [(f"p{i}", "original", f"#include <cstdio>\n{middle}\n#include <cmath>\n{ABS}// {i}\n") for i in range(n)]


@pytest.mark.parametrize(
    ("std", "middle"),
    [("c++17", "// note \\ "), ("c++17", "// note \\"), ("c++14", "// note ??/"), ("c++17", "// a\r#include <cstring>")],
)
def test_a_comment_that_continues_into_an_include_keeps_the_plain_verdict(std: str, middle: str) -> None:
    """``// note \\ `` (backslash, space) comments out the next include for GCC; a PCH of both headers must
    not put it back (it did: ``ok`` where plain g++ says ``'abs' is not a member of 'std'``)."""
    cases = _family(middle)
    scorer = CompileScorer(std=std)
    rep = differential(cases, scorer)
    assert rep.mismatches == []
    plain = plain_gxx(scorer, cases[0][2])
    if "cstring" in middle:
        assert plain.verdict is Verdict.OK  # a lone CR ends the comment: the include is real
    else:
        assert plain.verdict is Verdict.ERROR and "abs" in plain.diagnostics[0].message
    assert [r.verdict for r in scorer.score_many([c[2] for c in cases])] == [plain.verdict] * len(cases)


def test_a_spelling_hint_through_a_pch_is_the_plain_builds_hint() -> None:
    """GCC breaks ties between equally close names in hash order, which a PCH changes: a diagnostic with a
    hint made through a PCH is rechecked by a plain build."""
    body = "int pfl, pfc;\nint main(){ return pfx; }\n"
    cases = [(f"h{i}", "original", f"#include <cstdio>\n#include <vector>\n{body}// {i}\n") for i in range(4)]
    scorer = CompileScorer()
    rep = differential(cases, scorer)
    assert rep.mismatches == [] and rep.verdicts == {"error": 4}
    assert scorer.stats["plain_rechecks"] >= 1
    # without the rechecks (the rewards' default) only the hint's text may differ: verdict, kind, file, line
    quick = CompileScorer(hint_rechecks=False, pch_dir=scorer.pch.directory if scorer.pch else None)
    for _, _, src in cases:
        a, b = plain_gxx(scorer, src), quick.score(src)
        assert b.verdict is a.verdict and [(d.kind, d.line, d.column) for d in b.errors] == [
            (d.kind, d.line, d.column) for d in a.errors
        ]
        assert "-include" in b.command  # through the PCH
    assert quick.stats["plain_rechecks"] == 0


def _cases(sources: list[str], mutate: int, seed: int = 0) -> list[tuple[str, str, str]]:
    cases = [(f"s{i}", "original", s) for i, s in enumerate(sources)]
    rng = random.Random(seed)
    for i in rng.sample(range(len(sources)), min(mutate, len(sources))):
        cases += [(f"s{i}", kind, m) for kind, m in mutations(sources[i])]
    return cases


def test_the_default_scorer_agrees_with_plain_gxx_on_programs_and_their_mutations() -> None:
    # about 100 sources, each compiled twice (2 min on 2 cores); the benchmark runs the 1,590-source version
    srcs = sample_sources(12)
    cases = _cases(srcs, mutate=2)
    if CODECHEF.is_dir():  # real programs by others, when shared/ is beside the checkout
        files = sorted(CODECHEF.glob("data/*/C++/*.cpp"))
        random.Random(1).shuffle(files)
        real = [f.read_text(encoding="utf-8", errors="replace") for f in files[:16]]
        cases += _cases(real, mutate=1, seed=1)
    assert len(cases) >= 70
    rep = differential(cases, CompileScorer())
    assert rep.mismatches == [], rep.mismatches[:3]
    assert rep.total == len(cases) and rep.agreement == 1.0
    # the sample exercises every outcome the judge gives and every kind of mutation
    assert {"ok", "error"} <= set(rep.verdicts)
    assert {"truncate", "continuation", "define", "pragma", "include", "bom", "crlf"} <= set(rep.by_kind)


def test_mutations_cover_the_cases_that_could_break_a_pch() -> None:
    src = "#include <cstdio>\n#include <vector>\nint main(){ return 0; }\n"
    kinds = dict(mutations(src))
    assert len([k for k in kinds if k.startswith("truncate_")]) == 10
    assert kinds["continuation_backslash_space_inside"].split("\n")[1] == "// note \\ "
    assert kinds["continuation_trigraph_after"].split("\n")[2] == "// note ??/"
    assert kinds["define_glibcxx_debug"].startswith("#define _GLIBCXX_DEBUG\n#include <cstdio>")
    assert kinds["bom"].startswith("\ufeff") and "\r\n" in kinds["crlf"]
