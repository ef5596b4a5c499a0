"""``cfdpo build-prefs``: sample completions, judge them with g++, and write preference pairs.

The command parses options and calls :func:`cfdpo.stages.build_prefs.run`; its module docstring (shown by
``--help``) describes the run.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    from ..stages.build_prefs import BuildPrefsArguments, run
    from ..stages.build_prefs import __doc__ as stage_doc
    from ._parser import parse

    (args,) = parse([BuildPrefsArguments], argv, prog="cfdpo build-prefs", description=stage_doc)
    s = run(args)
    print(
        f"prompts {s['prompts']}  samples {s['samples']}  bad {s['bad_samples']}  "
        f"sample compile rate {100 * (s['samples_summary']['compile_rate'] or 0):.2f}%"
    )
    if "pass_at_1" in s["samples_summary"]:
        print(
            f"sample pass@1 {100 * (s['samples_summary']['pass_at_1'] or 0):.2f}%  "
            f"exec verdicts {s['samples_summary']['exec_verdicts']}"
        )
    if s.get("synthetic"):
        print(f"synthetic negatives kept {s['synthetic']['kept']}  confirmed bad {s['synthetic']['confirmed_bad']}")
    print(f"pairs kept {s['pairs_kept']}  dropped {s['dropped']}  mean edit distance {s['edit_distance_mean']}")
    print(f"wrote {Path(args.out) / 'preferences.jsonl'}")
    return 0
