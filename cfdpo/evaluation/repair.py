"""repair@k metrics (RLEF-style; Gehring et al. 2024): whether an attempt needs repair, per-turn cumulative
compile rate and pass@1 with Wilson intervals, the error kinds each turn fixed, repair@k against the
resampling control (exact McNemar on the same programs), and the repair curve."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..scoring.diagnostics import Diagnostic, error_kind
from .stats import rate

__all__ = ["attempt_succeeded", "control_against_repair", "plot_repair_curve", "repair_summary"]


def attempt_succeeded(row: dict[str, Any], run_tests: bool) -> bool:
    """Whether an attempt needs no repair: it compiled under the policy and, when tests were run and the
    program has tests, passed them all."""
    if not row["good"]:
        return False
    if run_tests and row.get("tests_total"):
        return bool(row.get("passed"))
    return True


def _kinds(row: dict[str, Any]) -> list[str]:
    kinds = []
    for d in row.get("diagnostics") or []:
        diag = Diagnostic.from_dict(d)
        if diag.is_error:
            kinds.append(error_kind(diag))
    if not kinds and not row["good"]:
        kinds.append(row["verdict"])  # warnings-as-failures, timeouts
    if not kinds:
        kinds.append(f"tests:{row.get('exec_verdict')}")
    return kinds


def repair_summary(
    prompts: Sequence[dict[str, Any]], history: Sequence[Sequence[dict[str, Any]]], run_tests: bool, turns: int
) -> dict[str, Any]:
    """Per-turn cumulative compile rate and pass@1 (Wilson 95%), per-program verdicts and fixed error kinds.

    Args:
        prompts: the evaluation's prompt rows (the programs; their order is kept).
        history: rows per turn, from :func:`run_repair_turns`.
        run_tests: whether pass@1 was measured.
        turns: K as asked (a turn with nothing left to repair repeats the previous turn's figures).

    Returns:
        ``{"turns_asked", "turns": [{"turn", "compile_rate", "pass_at_1", "repaired", "fixed",
        "fixed_error_kinds", "per_program"}]}``; rates are :func:`cfdpo.evaluation.stats.rate` dicts,
        ``per_program`` maps program id to ``{"good", "passed"}`` as of that turn.
    """
    ids = [p["id"] for p in prompts]
    state: dict[str, dict[str, Any]] = {}
    latest: dict[str, dict[str, Any]] = {}
    out_turns = []
    for t in range(turns + 1):
        rows = history[t] if t < len(history) else []
        fixed_kinds: Counter = Counter()
        fixed = 0
        for r in rows:
            pid = r["prompt_id"]
            tested = "exec_verdict" in r and bool(r.get("tests_total"))
            prev = state.get(pid)
            good = bool(r["good"]) or bool(prev and prev["good"])
            passed = (bool(r.get("passed")) or bool(prev and prev["passed"])) if tested else None
            if prev is not None and attempt_succeeded(r, run_tests) and pid in latest:
                fixed += 1
                fixed_kinds.update(_kinds(latest[pid]))
            state[pid] = {"good": good, "passed": passed}
            latest[pid] = r
        known = [state[i] for i in ids if i in state]
        with_tests = [s for s in known if s["passed"] is not None]
        out_turns.append(
            {
                "turn": t,
                "compile_rate": rate(sum(s["good"] for s in known), len(known)),
                "pass_at_1": rate(sum(bool(s["passed"]) for s in with_tests), len(with_tests)) if run_tests else None,
                "repaired": len(rows) if t else 0,
                "fixed": fixed,
                "fixed_error_kinds": dict(fixed_kinds.most_common()),
                "per_program": {i: dict(state[i]) for i in ids if i in state},
            }
        )
    return {"turns_asked": turns, "turns": out_turns}


def control_against_repair(repair: dict[str, Any], control: dict[str, Any]) -> list[dict[str, Any]]:
    """repair@k against control@k for every turn k >= 1: cumulative rates and an exact McNemar test on the
    same programs (the control is the baseline ``a``, repair the candidate ``b``).

    Args:
        repair, control: :func:`repair_summary` of the repair turns and of the control's turns.

    Returns:
        Per turn ``{"turn", "compile": {...}, "pass_at_1": {...} | None}``, each ``{"repair", "control",
        "fixed", "broken", "p_value", "n"}`` (fixed: programs only repair made good).
    """
    from .stats import mcnemar_exact

    out = []
    for r, c in zip(repair["turns"][1:], control["turns"][1:]):
        entry: dict[str, Any] = {"turn": r["turn"]}
        for key, field in (("compile", "good"), ("pass_at_1", "passed")):
            a = {k: bool(v[field]) for k, v in c["per_program"].items() if v[field] is not None}
            b = {k: bool(v[field]) for k, v in r["per_program"].items() if v[field] is not None}
            if not a or not b:
                entry[key] = None
                continue
            m = mcnemar_exact(a, b)
            entry[key] = {
                "repair": m.rate_b,
                "control": m.rate_a,
                "fixed": m.fixed,
                "broken": m.broken,
                "p_value": m.p_value,
                "n": m.n,
            }
        out.append(entry)
    return out


def plot_repair_curve(summary: dict[str, Any], path: Path, label: str = "") -> None:
    """repair@k: cumulative compile rate (and pass@1) per turn with 95% Wilson error bars, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    turns = summary["turns"]
    xs = [t["turn"] for t in turns]
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for key, name in (("compile_rate", "compile rate"), ("pass_at_1", "pass@1")):
        if turns[0][key] is None:
            continue
        ys = [100 * (t[key]["rate"] or 0) for t in turns]
        lo = [y - 100 * t[key]["ci_low"] for y, t in zip(ys, turns)]
        hi = [100 * t[key]["ci_high"] - y for y, t in zip(ys, turns)]
        ax.errorbar(xs, ys, yerr=[lo, hi], marker="o", capsize=4, label=name)
    ax.set_xticks(xs)
    ax.set_xlabel("repair turn")
    ax.set_ylabel("% of programs (cumulative)")
    ax.set_title(f"repair@k {label}".strip())
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
