"""Summaries of scored samples: compile rate with its Wilson interval, verdicts, error kinds, frequent
errors, clean-up counts and, with test runs, pass@1."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..scoring.diagnostics import Diagnostic, error_kind, normalise_message
from .stats import wilson_interval

__all__ = ["summarise_samples"]


def summarise_samples(samples: list[dict[str, Any]], top: int = 10) -> dict[str, Any]:
    """Compile rate (with its 95% Wilson interval), verdict counts, error kinds, frequent errors and clean-up counts; with test runs,
    pass@1 (share of samples passing all their tests, over samples whose problem has tests) and exec verdicts."""
    n = len(samples)
    good = sum(bool(s["good"]) for s in samples)
    verdicts = Counter(s["verdict"] for s in samples)
    kinds: Counter = Counter()
    messages: Counter = Counter()
    for s in samples:
        for d in s.get("diagnostics") or []:
            diag = Diagnostic.from_dict(d)
            if diag.is_error:
                kinds[error_kind(diag)] += 1
                messages[normalise_message(diag.message)] += 1
    cleanup = Counter(step for s in samples for step in s.get("cleanup") or [])
    return {
        "n": n,
        "compile_rate": round(good / n, 4) if n else None,
        "compile_rate_ci": [round(x, 4) for x in wilson_interval(good, n)],
        "compiled": good,
        "verdicts": dict(sorted(verdicts.items())),
        "error_kinds": dict(kinds.most_common()),
        "top_errors": messages.most_common(top),
        "cleanup_applied": dict(sorted(cleanup.items())),
        **_exec_summary(samples),
    }


def _exec_summary(samples: list[dict[str, Any]]) -> dict[str, Any]:
    if not any("exec_verdict" in s for s in samples):
        return {}
    tested = [s for s in samples if s.get("tests_total")]
    passed = sum(bool(s.get("passed")) for s in tested)
    return {
        "pass_at_1": round(passed / len(tested), 4) if tested else None,
        "pass_at_1_ci": [round(x, 4) for x in wilson_interval(passed, len(tested))],
        "passed": passed,
        "n_with_tests": len(tested),
        "exec_verdicts": dict(sorted(Counter(s["exec_verdict"] for s in tested).items())),
    }
