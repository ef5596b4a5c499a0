"""The compare stage (``cfdpo compare``): several evaluations side by side, with 95% Wilson intervals and exact
McNemar tests on the per-program verdicts against a baseline, written as comparison.json/.md/.png."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["CompareArguments", "run"]


@dataclass
class CompareArguments:
    """``cfdpo compare`` arguments (YAML keys = these field names)."""

    runs: list[str] = field(
        default_factory=list,
        metadata={"help": "Evaluate run directories, each optionally as LABEL=DIR (default label: the directory name)."},
    )
    baseline: str | None = field(
        default=None, metadata={"help": "Comma-separated labels to test every run against (default: the first run)."}
    )
    guard_reference: str | None = field(
        default=None, metadata={"help": "Label whose pass@1 interval the gaming flag uses (default: the first baseline)."}
    )
    out: str | None = field(default=None, metadata={"help": "Directory for comparison.json/.md/.png."})
    turn: int = field(
        default=0,
        metadata={"help": "Compare the verdicts after this many repair turns (evaluate --repair_turns); 0: first attempt."},
    )
    allow_mismatch: bool = field(
        default=False,
        metadata={"help": "Compare runs made on different programs or under different policies (recorded in the output)."},
    )

    def __post_init__(self) -> None:
        from ..errors import OptionError

        if len(self.runs) < 1:
            raise OptionError("runs", "needs at least one evaluate run directory")
        if self.turn < 0:
            raise OptionError("turn", f"must be >= 0, got {self.turn}")


def run(args: CompareArguments) -> dict[str, Any]:
    """Load the runs, compare them, and write the outputs when ``args.out`` is set; returns the comparison."""
    import re

    from ..errors import InputError, UsageError
    from ..evaluation.compare import comparability, compare, format_markdown, load_evaluation, plot_comparison
    from ..runinfo import environment_info, write_json

    evals: dict[str, dict[str, Any]] = {}
    for spec in args.runs:
        m = re.search(r"@(\d+)$", spec)  # DIR@K: that run's verdicts after K repair turns
        turn = int(m.group(1)) if m else args.turn
        spec = spec[: m.start()] if m else spec
        label, _, path = spec.rpartition("=") if "=" in spec else (Path(spec).name, "", spec)
        if label in evals:
            raise UsageError(f"--runs: the label {label!r} is given twice; name runs as LABEL=DIR")
        evals[label] = load_evaluation(path, turn)
    baselines = [b.strip() for b in (args.baseline or next(iter(evals))).split(",") if b.strip()]
    unknown = [b for b in baselines if b not in evals]
    if unknown:
        raise UsageError(f"--baseline {','.join(unknown)}: not a run label (labels: {', '.join(evals)})")
    mismatches = comparability(evals)
    if mismatches and not args.allow_mismatch:
        raise InputError(
            f"runs are not comparable: {mismatches[0]}"
            + (f" (and {len(mismatches) - 1} more)" if len(mismatches) > 1 else "")
            + "; --allow_mismatch compares them anyway"
        )
    comparison = compare(evals, baselines, args.guard_reference or baselines[0])
    comparison["mismatches_allowed"] = mismatches
    comparison["runs"] = {label: {"model": e.get("model"), "adapter": e.get("adapter")} for label, e in evals.items()}
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        write_json(out / "comparison.json", {**comparison, "config": vars(args), "environment": environment_info()})
        (out / "comparison.md").write_text(format_markdown(comparison))
        plot_comparison(comparison, out / "comparison.png")
    return comparison
