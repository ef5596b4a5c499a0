"""Compare evaluations of several models on the same held-out programs.

Each evaluation (a ``cfdpo evaluate`` run directory, or its ``results.json``)
gives per-program verdicts: ``good`` (compiles under the warnings policy) and,
with ``--run_tests``, ``passed`` (all sample tests pass). A comparison reports,
per model, the compile rate and pass@1 with 95% Wilson intervals, and against
each baseline the exact McNemar test on the programs both judged (programs
fixed, programs broken, p value); see :mod:`cfdpo.evaluation.stats`.

Guards against gaming the judge (a completion can compile by being empty, by
closing braces early or by dropping the program's logic): the mean completion
length against the reference's, the mean edit similarity to the reference, and
a flag on any model whose compile rate rises over the reference model's while
its pass@1 falls below that model's interval.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .stats import holm, mcnemar_exact, rate

__all__ = ["compare", "format_markdown", "guards", "load_evaluation", "per_program", "plot_comparison"]

log = logging.getLogger(__name__)


def per_program(samples: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Program id → ``{"good": bool, "passed": bool | None}`` from scored samples (the first sample of each).

    ``passed`` is None for programs without tests (or evaluations without ``--run_tests``).
    """
    out: dict[str, dict[str, Any]] = {}
    for s in sorted(samples, key=lambda r: r.get("sample_index", 0)):
        pid = s["prompt_id"]
        if pid in out:
            continue
        tested = "exec_verdict" in s and bool(s.get("tests_total"))
        out[pid] = {"good": bool(s["good"]), "passed": bool(s.get("passed")) if tested else None}
    return out


_COMMENTS = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)
_CLOSERS = re.compile(r"(?:\s|\}|;|\breturn\b\s*-?\d*\s*;)*")


def closers_only(completion: str) -> bool:
    """Whether a completion writes no code: nothing but closing braces, ``return [number];``, ``;``, whitespace
    and comments (on the bundled test prompts such an ending compiles for 3 of 8 programs: a judge to game)."""
    return _CLOSERS.fullmatch(_COMMENTS.sub(" ", completion)) is not None


def guards(samples: Sequence[Mapping[str, Any]], prompts: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Completion length and similarity to the reference, for spotting a judge being gamed.

    Returns:
        ``completion_chars_mean``, ``reference_chars_mean``, ``length_ratio`` (their quotient),
        ``empty_completions`` (count), ``edit_similarity_mean`` (python-Levenshtein's normalised
        indel similarity in [0, 1], 1 = identical to the reference) and ``closers_only_share`` (the share
        of completions that write no code, :func:`closers_only`).
    """
    import Levenshtein

    refs = {p["id"]: p["reference_completion"] for p in prompts}
    pairs = [(s["completion"], refs[s["prompt_id"]]) for s in samples if s["prompt_id"] in refs]
    if not pairs:
        return {}
    comp = sum(len(c) for c, _ in pairs) / len(pairs)
    ref = sum(len(r) for _, r in pairs) / len(pairs)
    return {
        "completion_chars_mean": round(comp, 1),
        "reference_chars_mean": round(ref, 1),
        "length_ratio": round(comp / ref, 3) if ref else None,
        "empty_completions": sum(1 for c, _ in pairs if not c.strip()),
        "edit_similarity_mean": round(sum(Levenshtein.ratio(c, r) for c, r in pairs) / len(pairs), 4),
        "closers_only_share": round(sum(closers_only(c) for c, _ in pairs) / len(pairs), 4),
    }


def load_evaluation(path: str | Path, turn: int | None = None) -> dict[str, Any]:
    """An evaluation's ``results.json`` (from its run directory or the file), with ``per_program``.

    Runs written before ``per_program`` existed get it from their ``samples.jsonl``. With ``turn``, the
    per-program verdicts are those after that many repair turns (``evaluate --repair_turns``; turn 0 is
    the first attempt).

    Raises:
        InputError: no results.json, no per-program verdicts to be found, or no such repair turn.
    """
    from ..errors import InputError

    p = Path(path)
    results_path = p / "results.json" if p.is_dir() else p
    if not results_path.is_file():
        raise InputError(f"{p}: no results.json (an evaluate run directory is expected)")
    try:
        results = json.loads(results_path.read_text(encoding="utf-8"))
    except ValueError as e:
        raise InputError(f"{results_path}: not valid JSON ({e})") from None
    if not results.get("per_program"):
        from ..jsonl import read_jsonl

        samples = read_jsonl(results_path.parent / "samples.jsonl")
        if not samples:
            raise InputError(f"{results_path.parent}: no per-program verdicts (no samples.jsonl)")
        results["per_program"] = per_program(samples)
    prompts_path = results_path.parent / "prompts.jsonl"
    results["missing"] = 0
    if prompts_path.is_file():  # prompts that failed generation or were skipped count as failures
        from ..jsonl import read_jsonl

        pp = results["per_program"]
        tested = any(v.get("passed") is not None for v in pp.values())
        for row in read_jsonl(prompts_path):
            if row["id"] not in pp:
                pp[row["id"]] = {"good": False, "passed": False if tested else None, "missing": True}
                results["missing"] += 1
    if turn:
        turns = (results.get("repair") or {}).get("turns") or []
        if turn >= len(turns):
            raise InputError(
                f"{results_path}: no repair turn {turn} (the evaluation ran "
                f"{max(len(turns) - 1, 0)}; use evaluate --repair_turns)"
            )
        results["per_program"] = turns[turn]["per_program"]
        results["guards"] = {}  # the guards describe the first attempt
    return results


#: what must be equal for two evaluations to be compared: where it is in results.json, and its name
COMPARABLE = (
    ("scorer", "warnings"),
    ("scorer", "std"),
    ("scorer", "mode"),
    ("scorer", "extra_flags"),
    ("config", "mask_ratio"),
    ("config", "mask_mode"),
    ("config", "prompt_format"),
    ("config", "seed"),
    ("config", "split"),
    ("config", "holdout"),
    ("config", "validation_problems"),
    ("config", "train_per_problem"),
    ("config", "test_per_problem"),
    ("config", "max_program_chars"),
)

#: settings recorded only by later versions: an older results.json without them ran at this value
_RECORDED_SINCE: dict[str, Any] = {"validation_problems": 0}


def comparability(evals: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """What makes these evaluations incomparable, one line each (empty: comparable).

    Checked against the first: the programs judged (the per-program keys, failed generations included),
    the scorer's policy (warnings, std, compile mode, flags) and the prompts' making (mask ratio and mode,
    prompt format, split, split seed, holdout, quotas, length cap), as recorded in each results.json.
    """
    items = list(evals.items())
    if len(items) < 2:
        return []
    first_label, first = items[0]
    out: list[str] = []
    for label, res in items[1:]:
        a, b = set(first["per_program"]), set(res["per_program"])
        if a != b:
            out.append(
                f"{label} judged other programs than {first_label} ({len(b - a)} not in {first_label}, {len(a - b)} missing)"
            )
        for section, key in COMPARABLE:
            va = (first.get(section) or {}).get(key, _RECORDED_SINCE.get(key))
            vb = (res.get(section) or {}).get(key, _RECORDED_SINCE.get(key))
            if va != vb:
                out.append(f"{label} has {section}.{key} = {vb!r}, {first_label} {va!r}")
    return out


def compare(
    evals: Mapping[str, Mapping[str, Any]], baselines: Sequence[str] = (), guard_reference: str | None = None
) -> dict[str, Any]:
    """Rates with intervals for every evaluation and McNemar tests against each baseline.

    Args:
        evals: label → results (each with ``per_program``), in display order.
        baselines: labels to test every other evaluation against.
        guard_reference: the label whose pass@1 interval the gaming flag uses (e.g. ``+SFT``).

    Returns:
        ``{"rows": [...], "baselines": [...], "flags": [...]}``; each row has ``label``, ``compile``
        and ``pass_at_1`` (:func:`cfdpo.evaluation.stats.rate` dicts; pass@1 None without tests),
        ``guards`` and ``vs`` (baseline label → ``{"compile": McNemar dict, "pass_at_1": ...}``).
    """
    rows: list[dict[str, Any]] = []
    for label, res in evals.items():
        pp = res["per_program"]
        good = {k: v["good"] for k, v in pp.items()}
        passed = {k: v["passed"] for k, v in pp.items() if v.get("passed") is not None}
        row: dict[str, Any] = {
            "label": label,
            "compile": rate(sum(good.values()), len(good)),
            "pass_at_1": rate(sum(passed.values()), len(passed)) if passed else None,
            "guards": res.get("guards") or {},
            "missing": int(res.get("missing") or 0),
            "vs": {},
        }
        for base in baselines:
            if base == label or base not in evals:
                continue
            bpp = evals[base]["per_program"]
            entry = {"compile": mcnemar_exact({k: v["good"] for k, v in bpp.items()}, good).to_dict()}
            bpass = {k: v["passed"] for k, v in bpp.items() if v.get("passed") is not None}
            if passed and bpass:
                entry["pass_at_1"] = mcnemar_exact(bpass, passed).to_dict()
            row["vs"][base] = entry
        rows.append(row)
    # the table's tests are one family: Holm-adjusted p values beside the raw ones
    family = [t for r in rows for entry in r["vs"].values() for t in entry.values() if t]
    for t, p in zip(family, holm([t["p_value"] for t in family])):
        t["p_holm"] = p
    flags: list[str] = []
    ref = next((r for r in rows if r["label"] == guard_reference), None)
    if ref is not None and ref["pass_at_1"] is not None:
        for r in rows:
            if r is ref or r["pass_at_1"] is None:
                continue
            if r["compile"]["rate"] > ref["compile"]["rate"] and r["pass_at_1"]["rate"] < ref["pass_at_1"]["ci_low"]:
                flags.append(
                    f"{r['label']}: compile rate up ({100 * r['compile']['rate']:.1f}% vs "
                    f"{100 * ref['compile']['rate']:.1f}%) but pass@1 {100 * r['pass_at_1']['rate']:.1f}% is "
                    f"below {ref['label']}'s interval [{100 * ref['pass_at_1']['ci_low']:.1f}, "
                    f"{100 * ref['pass_at_1']['ci_high']:.1f}]: the judge may be gamed"
                )
    ref_closers = ref["guards"].get("closers_only_share") if ref is not None else None
    for r in rows:
        share = r["guards"].get("closers_only_share")
        if ref is not None and r is not ref and share is not None and ref_closers is not None and share > ref_closers + 0.05:
            flags.append(
                f"{r['label']}: {100 * share:.1f}% of completions write no code (only closing braces, "
                f"return, comments) against {100 * ref_closers:.1f}% for {ref['label']}: the judge may be gamed"
            )
    for r in rows:
        g = r["guards"]
        if g.get("length_ratio") is not None and g["length_ratio"] < 0.5:
            flags.append(f"{r['label']}: completions are {g['length_ratio']:.2f}x the reference's length on average")
    return {"rows": rows, "baselines": [b for b in baselines if b in evals], "flags": flags}


def _pct(r: Mapping[str, Any] | None) -> str:
    if not r or r["rate"] is None:
        return "-"
    return f"{100 * r['rate']:.1f} [{100 * r['ci_low']:.1f}, {100 * r['ci_high']:.1f}]"


def _test(m: Mapping[str, Any] | None) -> str:
    if not m:
        return "-"

    def fmt(p: float) -> str:
        return f"{p:.2g}" if p < 0.001 else f"{p:.3f}"

    holm_p = f" (Holm {fmt(m['p_holm'])})" if m.get("p_holm") is not None else ""
    return f"+{m['fixed']} / -{m['broken']}, p={fmt(m['p_value'])}{holm_p}"


def format_markdown(comparison: Mapping[str, Any]) -> str:
    """The comparison as a markdown table (rates in %, 95% Wilson intervals, McNemar fixed/broken and p)."""
    rows = comparison["rows"]
    bases = comparison["baselines"]
    has_pass = any(r["pass_at_1"] for r in rows)
    head = ["model", "n", "compile rate % [95% CI]"] + [f"compile vs {b}" for b in bases]
    if has_pass:
        head += ["pass@1 % [95% CI]"] + [f"pass@1 vs {b}" for b in bases]
    head += ["completion / reference chars", "edit similarity"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        g = r["guards"]
        n = str(r["compile"]["n"]) + (f" ({r['missing']} without a sample)" if r.get("missing") else "")
        cells = [r["label"], n, _pct(r["compile"])]
        cells += [_test(r["vs"].get(b, {}).get("compile")) if b != r["label"] else "" for b in bases]
        if has_pass:
            cells += [_pct(r["pass_at_1"])]
            cells += [_test(r["vs"].get(b, {}).get("pass_at_1")) if b != r["label"] else "" for b in bases]
        cells += [
            f"{g.get('completion_chars_mean', '-')} / {g.get('reference_chars_mean', '-')}",
            str(g.get("edit_similarity_mean", "-")),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(
        "McNemar: +fixed / -broken programs against the baseline (exact two-sided test on the discordant "
        "programs; Holm: adjusted for all the tests of this table); intervals are Wilson 95%. Prompts "
        "without a sample (failed generation, skipped) count as failures."
    )
    for f in comparison["flags"]:
        lines.append(f"- FLAG {f}")
    return "\n".join(lines) + "\n"


def plot_comparison(comparison: Mapping[str, Any], path: str | Path, title: str = "") -> None:
    """A bar chart of compile rate (and pass@1) per model with 95% Wilson error bars, saved as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = comparison["rows"]
    labels = [r["label"] for r in rows]
    series = [("compile rate", "compile", "#4c72b0")]
    if any(r["pass_at_1"] for r in rows):
        series.append(("pass@1", "pass_at_1", "#dd8452"))
    width = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(max(5.0, 1.3 * len(rows) + 2), 3.8))
    for j, (name, key, color) in enumerate(series):
        xs, ys, lo, hi = [], [], [], []
        for i, r in enumerate(rows):
            m = r[key]
            if not m or m["rate"] is None:
                continue
            xs.append(i + (j - (len(series) - 1) / 2) * width)
            ys.append(100 * m["rate"])
            lo.append(100 * (m["rate"] - m["ci_low"]))
            hi.append(100 * (m["ci_high"] - m["rate"]))
        ax.bar(xs, ys, width=width, color=color, label=name, yerr=[lo, hi], capsize=3)
        for x, y, up in zip(xs, ys, hi):
            ax.text(x, y + up + 1, f"{y:.1f}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(rows)), labels)
    ax.set_ylabel("% of held-out programs (95% Wilson CI)")
    ax.set_ylim(0, 105)
    n = sorted({r["compile"]["n"] for r in rows})
    ax.set_title(title or f"n = {', '.join(map(str, n))} programs")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
