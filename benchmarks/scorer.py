"""Compile-scorer throughput and verdict agreement on real programs and broken variants of them.

    python benchmarks/scorer.py --corpus ../shared/corpora/codechef --n 500 --workers 2

Measures, in one run on the same sources:
  (a) the reference: one ``g++ -Wall -fdiagnostics-format=json file.cpp`` per program, sequential,
      as the paper's code does (``--reference-sample K`` times it on a random K of the sources);
  (b) cfdpo's CompileScorer() with no arguments (its defaults: PCH per shared leading part of the include preamble, parallel pool,
      gold link first with GNU ld on any failure; --syntax-first adds the syntax-only first step)
      with the result cache off (real compiles) and then on (a warm cache);
  (c) the verdict agreement of (b) with a plain full g++ build under the same policy flags.
Prints median ms/program per mode, a per-stage breakdown, and ends with
``speedup=<b without cache / a> agreement=<percent>``.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cfdpo.corpus.masking import mask_program
from cfdpo.scoring import CompileScorer
from cfdpo.scoring.pch import split_preamble

KINDS = ("truncate", "typo", "semicolon", "brace")


def load_programs(corpus: Path, n: int, seed: int) -> list[tuple[str, str]]:
    files = sorted(corpus.glob("data/*/C++/*.cpp"))
    random.Random(seed).shuffle(files)
    out = []
    for f in files:
        try:
            src = f.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if len(src.strip()) > 50:
            out.append((f"{f.parent.parent.name}/{f.stem}", src))
        if len(out) == n:
            break
    return out


def broken(src: str, kind: str, rng: random.Random) -> str:
    """A broken variant of a program, made the ways models fail."""
    _, span = split_preamble(src)
    lines = src.split("\n")
    head, body = "\n".join(lines[:span]), "\n".join(lines[span:])
    if kind == "truncate":
        return mask_program(src, 0.1).prompt
    if kind == "typo":
        idents = [
            m
            for m in re.finditer(r"\b[A-Za-z_]\w{2,}\b", body)
            if m.group() not in ("int", "main", "return", "include", "using", "namespace", "std")
        ]
        if idents:
            m = rng.choice(idents)
            return head + "\n" + body[: m.start()] + m.group() + "q" + body[m.end() :]
    if kind == "semicolon" and ";" in body:
        idx = [i for i, c in enumerate(body) if c == ";"]
        i = rng.choice(idx)
        return head + "\n" + body[:i] + body[i + 1 :]
    i = body.rfind("}")
    return head + "\n" + body[:i] + body[i + 1 :] if i >= 0 else src + "\n}"


def reference(sources: list[str]) -> list[float]:
    times = []
    with tempfile.TemporaryDirectory() as d:
        for s in sources:
            p = Path(d) / "file.cpp"
            p.write_text(s)
            t0 = time.perf_counter()
            subprocess.run(
                ["g++", "-Wall", "-fdiagnostics-format=json", "file.cpp"],
                cwd=d,
                capture_output=True,
                stdin=subprocess.DEVNULL,
                check=False,
                timeout=120,
            )
            times.append((time.perf_counter() - t0) * 1000)
    return times


def stage_breakdown(fast: CompileScorer, sample: list[str]) -> str:
    """Mean ms per stage, one compile at a time, with the PCHs already built: where the time goes."""
    floor = statistics.mean(fast._run("int main() { return 0; }\n", [fast.argv("syntax")]).elapsed_ms for _ in range(5))
    good, bad = [], []
    for src in sample:
        text, include = fast.pch.prepare(src, counted=True) if fast.pch else (src, None)
        syn = fast._run(text, [fast.argv("syntax", include)])
        obj = fast._run(text, [fast.argv("object", include)]).elapsed_ms
        full = fast._run(text, fast.build_steps(include)).elapsed_ms
        (good if syn.returncode == 0 else bad).append((syn.elapsed_ms, obj, full, include is not None))
    mean = lambda xs: statistics.mean(xs) if xs else float("nan")
    return (
        f"    where the time goes ({len(sample)} sources, one at a time): process+sandbox floor "
        f"(empty program, syntax only) {floor:.0f} ms; sources that compile ({len(good)}, "
        f"{sum(g[3] for g in good)} with a PCH): front end {mean([g[0] for g in good]):.0f} ms, "
        f"codegen+assembler {mean([g[1] - g[0] for g in good]):.0f} ms, "
        f"link {mean([g[2] - g[1] for g in good]):.0f} ms; sources with errors ({len(bad)}): "
        f"front end {mean([b[0] for b in bad]):.0f} ms, full build {mean([b[2] for b in bad]):.0f} ms"
    )


def run_differential(a: argparse.Namespace) -> None:
    """Print the differential test's counts and every mismatch; exit 1 unless agreement is 100%."""
    from cfdpo.scoring.differential import differential, mutations

    progs = load_programs(Path(a.corpus), a.n, a.seed)
    cases = [(name, "original", s) for name, s in progs]
    for name, s in random.Random(a.seed).sample(progs, min(a.mutate, len(progs))):
        cases += [(name, kind, m) for kind, m in mutations(s)]
    print(
        f"{len(progs)} programs + {len(cases) - len(progs)} mutations of {min(a.mutate, len(progs))} of them "
        f"= {len(cases)} sources, -std={a.std}"
    )
    t0 = time.perf_counter()
    rep = differential(cases, CompileScorer(std=a.std), workers=a.workers or 2)
    print(f"verdicts (plain g++): {dict(rep.verdicts)}; kinds: {dict(rep.by_kind)}; {time.perf_counter() - t0:.0f} s")
    for m in rep.mismatches:
        print(f"MISMATCH {m.name} {m.kind}: fast {m.fast} plain {m.plain}")
    print(
        f"differential total={rep.total} programs={rep.programs} verdict_agree={rep.verdict_agree} "
        f"first_diagnostic_agree={rep.first_diagnostic_agree} agreement={100 * rep.agreement:.2f}%"
    )
    sys.exit(0 if not rep.mismatches else 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default="../shared/corpora/codechef")
    ap.add_argument("--n", type=int, default=500, help="real programs (plus one broken variant each)")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--reference-sample", type=int, default=None, help="time the reference on K random sources")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--syntax-first", action="store_true", help="run -fsyntax-only first (pays off when most fail)")
    ap.add_argument("--no-fast-link", action="store_true", help="link with GNU ld only (no gold first)")
    ap.add_argument("--breakdown-sample", type=int, default=40, help="sources timed stage by stage")
    ap.add_argument(
        "--differential",
        action="store_true",
        help="instead: the differential test of the judge on --n programs and the mutations of --mutate "
        "of them (CompileScorer() against one plain g++ each: verdict and first diagnostic)",
    )
    ap.add_argument("--mutate", type=int, default=100, help="with --differential: programs whose mutations are added")
    ap.add_argument("--std", default="c++17", help="with --differential: the -std= value (c++14 makes ??/ a backslash)")
    a = ap.parse_args()
    if a.differential:
        run_differential(a)
        return
    rng = random.Random(a.seed)
    progs = load_programs(Path(a.corpus), a.n, a.seed)
    sources = [s for _, s in progs] + [broken(s, KINDS[i % 4], rng) for i, (_, s) in enumerate(progs)]
    print(f"{len(progs)} real programs + {len(progs)} broken variants ({', '.join(KINDS)}) = {len(sources)} sources")

    ref_src = sources if a.reference_sample is None else rng.sample(sources, min(a.reference_sample, len(sources)))
    ref = reference(ref_src)
    ref_rate = len(ref_src) / (sum(ref) / 1000)
    print(
        f"(a) reference g++ -Wall, sequential: {len(ref_src)} sources, median {statistics.median(ref):.0f} ms, "
        f"{ref_rate:.2f} programs/s"
    )

    with tempfile.TemporaryDirectory() as cache:
        # the library default, as an embedding user gets it: CompileScorer() with no arguments (PCH + fast link)
        fast = (
            CompileScorer()
            if not (a.syntax_first or a.no_fast_link)
            else CompileScorer(syntax_first=a.syntax_first, fast_link=not a.no_fast_link)
        )
        t0 = time.perf_counter()
        res = fast.score_many(sources, workers=a.workers)
        wall = time.perf_counter() - t0
        fast_rate = len(sources) / wall
        ms = [r.elapsed_ms for r in res]
        print(
            f"(b) cfdpo scorer (CompileScorer() defaults), no result cache: {fast_rate:.2f} programs/s (wall {wall:.1f} s), "
            f"median {statistics.median(ms):.0f} ms/program of compiler time"
        )
        st = fast.stats
        print(
            f"    stages (compiler seconds, summed over workers): PCH builds {fast.pch.builds} "
            f"({fast.pch.build_ms / 1000:.1f} s), "
            f"syntax-only runs {int(st['syntax_runs'])} ({st['syntax_ms'] / 1000:.1f} s; "
            f"{int(st['syntax_stops'])} stopped there with an error), "
            f"full builds {int(st['full_builds'])} ({st['full_ms'] / 1000:.1f} s; "
            f"{int(st['slow_links'])} linked again with GNU ld after gold failed or spoke)"
        )
        cached = CompileScorer(
            pch=True,
            pch_dir=Path(cache) / "pch",
            syntax_first=a.syntax_first,
            fast_link=not a.no_fast_link,
            cache_dir=Path(cache) / "r",
        )
        cached.score_many(sources, workers=a.workers)  # fill
        t0 = time.perf_counter()
        cached.score_many(sources, workers=a.workers)
        cwall = time.perf_counter() - t0
        print(f"    with a warm result cache: {len(sources) / cwall:.0f} programs/s")
        print(stage_breakdown(fast, rng.sample(sources, min(a.breakdown_sample, len(sources)))))

    plain = CompileScorer(pch=False, fast_link=False)
    t0 = time.perf_counter()
    base = plain.score_many(sources, workers=a.workers)
    pwall = time.perf_counter() - t0
    print(
        f"(c) plain full g++ build, same policy ({' '.join(plain.argv())}), {a.workers or 'all'} workers: "
        f"{len(sources) / pwall:.2f} programs/s, median {statistics.median(r.elapsed_ms for r in base):.0f} ms"
    )
    same = sum(x.verdict == y.verdict for x, y in zip(res, base))
    same_diag = sum(
        [(d.kind, d.line, d.column, d.message) for d in x.diagnostics]
        == [(d.kind, d.line, d.column, d.message) for d in y.diagnostics]
        for x, y in zip(res, base)
    )
    verdicts = {}
    for r in base:
        verdicts[r.verdict.value] = verdicts.get(r.verdict.value, 0) + 1
    print(f"    verdicts (plain build): {verdicts}; identical diagnostics {100 * same_diag / len(sources):.2f}%")
    for i, (x, y) in enumerate(zip(res, base)):
        if x.verdict != y.verdict:
            print(f"    DISAGREE source {i}: cfdpo {x.verdict.value} vs plain {y.verdict.value}")
        elif [(d.kind, d.line, d.column, d.message) for d in x.diagnostics] != [
            (d.kind, d.line, d.column, d.message) for d in y.diagnostics
        ]:
            first = next(((a, b) for a, b in zip(x.diagnostics, y.diagnostics) if a != b), None)
            print(
                f"    diagnostics differ, source {i} ({len(x.diagnostics)} vs {len(y.diagnostics)}): "
                f"{first[0].to_dict() if first else ''} vs {first[1].to_dict() if first else ''}"
            )
    print(f"speedup={fast_rate / ref_rate:.2f} agreement={100 * same / len(sources):.2f}")


if __name__ == "__main__":
    main()
