"""``cfdpo score FILE...``: compile C++ files with the compile scorer and print verdicts.

Needs no torch. ``--json`` prints one JSON result per line (verdict, good,
diagnostics, elapsed_ms, command) for use from other tools.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from ..scoring import CompileScorer


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="cfdpo score", description=__doc__.strip().split("\n\n")[0])
    ap.add_argument("files", nargs="+", help="C++ source files")
    ap.add_argument("--std", default="c++17")
    ap.add_argument("--compile-mode", default="link", choices=CompileScorer.MODES)
    ap.add_argument("--warnings", default="error", choices=CompileScorer.WARNING_POLICIES)
    ap.add_argument("--gxx-flags", default="", help="extra g++ flags, space separated")
    ap.add_argument("--timeout-s", type=float, default=30.0)
    ap.add_argument("--memory-mb", type=int, default=2048)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--json", action="store_true", help="print one JSON result per line")
    a = ap.parse_args(argv)
    scorer = CompileScorer(
        std=a.std,
        mode=a.compile_mode,
        warnings=a.warnings,
        extra_flags=a.gxx_flags.split(),
        timeout_s=a.timeout_s,
        memory_mb=a.memory_mb,
    )
    sources = []
    for f in a.files:
        try:
            sources.append(Path(f).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as e:
            print(f"cfdpo score: {f}: cannot read ({e})", file=sys.stderr)
            return 1
    results = scorer.score_many(sources, workers=a.workers)
    good = 0
    for f, r in zip(a.files, results):
        good += r.good
        if a.json:
            print(json.dumps({"file": f, **r.to_dict()}))
        else:
            first = r.errors[0] if r.errors else (r.warnings[0] if r.warnings else None)
            where = f":{first.line}" if first and first.line else ""
            msg = f"  {f}{where}: {first.message}" if first else ""
            print(f"{r.verdict.value:<15} {r.elapsed_ms:8.0f} ms  {f}{msg and chr(10) + msg}")
    if not a.json:
        print(f"{good}/{len(results)} good under warnings={a.warnings}; policy: {' '.join(scorer.argv())}")
    return 0 if good == len(results) else 3
