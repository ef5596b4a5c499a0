"""The pipeline report: results.json, a markdown table like the paper's Table 1, and plots."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from ..evaluation.compare import format_markdown

log = logging.getLogger(__name__)

STAGE_ORDER = ["base", "sft", "dpo", "sft+dpo", "sft+dpop"]
LABELS = {"base": "Base", "sft": "+SFT", "dpo": "+DPO", "sft+dpo": "+SFT+DPO", "sft+dpop": "+SFT+DPOP"}


def _table(
    evals: dict[str, dict[str, Any]],
    prefs_summaries: dict[str, dict[str, Any]],
    model: str,
    comparison: dict[str, Any] | None = None,
) -> str:
    present = [s for s in STAGE_ORDER if s in evals]
    head = "| Model | " + " | ".join(LABELS[s] for s in present) + " |"
    sep = "|---|" + "---:|" * len(present)
    row = f"| {model} | " + " | ".join(f"{100 * (evals[s]['compile_rate'] or 0):.2f}" for s in present) + " |"
    lines = ["Compile success rate (%) on the masked test set, greedy decoding.", "", head, sep, row, ""]
    if all("pass_at_1" in evals[s] for s in present):
        lines[-1:-1] = [
            "| pass@1 (sample tests) | " + " | ".join(f"{100 * (evals[s]['pass_at_1'] or 0):.2f}" for s in present) + " |"
        ]
    n = {evals[s]["n"] for s in present}
    lines.append(f"Programs evaluated: {', '.join(map(str, sorted(n)))}.")
    if comparison is not None:
        lines += [
            "",
            "Every stage with 95% Wilson intervals, and against Base and +SFT by an exact McNemar test on the "
            "per-program verdicts:",
            "",
            format_markdown(comparison),
        ]
    for name, summary in prefs_summaries.items():
        lines.append(
            f"Pairs from the {name} model: {summary['pairs_kept']} kept of {summary['bad_samples']} bad "
            f"samples (dropped: {summary['dropped']}), mean edit distance {summary['edit_distance_mean']}."
        )
    lines += ["", "Most frequent error kinds per stage:", "", "| Stage | error kinds |", "|---|---|"]
    for s in present:
        kinds = ", ".join(f"{k} {v}" for k, v in list(evals[s]["error_kinds"].items())[:4]) or "-"
        lines.append(f"| {LABELS[s]} | {kinds} |")
    return "\n".join(lines) + "\n"


def write_report(out: Path, evals: dict[str, dict[str, Any]], prefs: dict[str, Path], config: dict[str, Any]) -> dict[str, Any]:
    """Write results.json, table.md, compile_rate.png and edit_distance.png into ``out``.

    With per-program verdicts in every evaluation, results.json gains ``comparison`` (rates with
    Wilson intervals, McNemar against Base and +SFT, gaming flags) and the plot gets error bars.
    """
    from ..evaluation.compare import compare, plot_comparison
    from ..jsonl import read_jsonl
    from ..runinfo import environment_info, write_json

    prefs_summaries = {k: json.loads((v / "prefs_summary.json").read_text()) for k, v in prefs.items()}
    for s in prefs_summaries.values():
        for k in ("config", "environment", "samples_summary", "decoding", "scorer"):
            s.pop(k, None)
    present = [s for s in STAGE_ORDER if s in evals]
    comparison = None
    if all(evals[s].get("per_program") for s in present):
        comparison = compare({LABELS[s]: evals[s] for s in present}, baselines=("Base", "+SFT"), guard_reference="+SFT")
        for flag in comparison["flags"]:
            log.warning("%s", flag)
    results = {
        "table": {LABELS[s]: evals[s]["compile_rate"] for s in STAGE_ORDER if s in evals},
        "comparison": comparison,
        "pass_at_1": {LABELS[s]: evals[s].get("pass_at_1") for s in STAGE_ORDER if s in evals},
        "stages": {
            s: {k: v for k, v in evals[s].items() if k not in ("config", "environment")} for s in STAGE_ORDER if s in evals
        },
        "pairs": prefs_summaries,
        "config": config,
        "environment": environment_info(),
    }
    write_json(out / "results.json", results)
    (out / "table.md").write_text(_table(evals, prefs_summaries, config.get("model", ""), comparison))
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        if comparison is not None:
            plot_comparison(
                comparison,
                out / "compile_rate.png",
                title=f"{config.get('model', '')}: n = {', '.join(str(evals[s]['n']) for s in present[:1])}"
                " held-out programs, 95% Wilson CI",
            )
        else:
            fig, ax = plt.subplots(figsize=(6, 3.5))
            rates = [100 * (evals[s]["compile_rate"] or 0) for s in present]
            ax.bar([LABELS[s] for s in present], rates, color="#4c72b0")
            ax.set_ylabel("compile success (%)")
            ax.set_ylim(0, 105)
            fig.tight_layout()
            fig.savefig(out / "compile_rate.png", dpi=120)
            plt.close(fig)
        if prefs:
            fig, ax = plt.subplots(figsize=(6, 3.5))
            for name, d in prefs.items():
                dists = [r["edit_distance"] for r in read_jsonl(d / "preferences.jsonl")]
                if dists:
                    ax.hist(dists, bins=30, alpha=0.6, label=f"pairs from {name} ({len(dists)})")
            ax.set_xlabel("Levenshtein distance chosen vs rejected (characters)")
            ax.set_ylabel("pairs")
            ax.legend()
            fig.tight_layout()
            fig.savefig(out / "edit_distance.png", dpi=120)
            plt.close(fig)
    except ImportError:  # pragma: no cover
        log.warning("matplotlib is not installed: no plots")
    return results
