"""Scoring models on compiler tasks as LLM Compiler scores them: emulation, flag tuning, disassembly.

Cummins et al., "Meta Large Language Model Compiler" (2024, arXiv 2407.02524):

* **emulate** (Sec. 3.2, compiler emulation): given IR and a pass list, predict
  the IR ``opt`` produces and its binary size. Scored by whether the predicted
  IR assembles (``llvm-as``, which also verifies), exact match with opt's
  output after :func:`normalise_ir`, and the error of the binary size: both the
  size the answer states and the measured size of the predicted IR, each as a
  mean absolute percentage error against opt's output.
* **tune** (Sec. 3.3, flag tuning): given IR, predict a pass list that makes the
  object file small. The list runs through ``opt`` + ``llc`` + ``llvm-size``
  under limits; scored by validity (opt accepts and sizes it), the geometric-mean
  size improvement over ``-Oz`` (a list that fails or changes the program's
  behaviour counts as ``-Oz``, as a compiler would fall back), and the share of
  the row's autotuning-search improvement it recovers (LLM Compiler reports
  77%). Where a row carries its program and tests, the list is checked by
  differential testing against ``clang -O2`` in the execution sandbox.
* **disassemble** (Sec. 3.4): given x86-64 assembly, predict the IR. Scored by
  whether it assembles, the *round trip* (the predicted IR lowered by ``llc``
  with the row's flags gives the input assembly after normalisation; LLM
  Compiler: 45%), exact match of the IR (14%) and edit similarity (normalised
  Levenshtein ratio of the normalised IR texts).

Model answers are hostile input: every tool runs on them in a temporary
directory under time and address-space limits, through argv (never a shell).
Rates carry 95% Wilson intervals (:func:`cfdpo.evaluation.stats.rate`).
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections import Counter
from collections.abc import Sequence
from typing import Any

from ..compiler_data.disassembly import lower_to_asm, normalise_asm
from ..compiler_data.llvm_ir import LLVMToolchain, clean_ir
from ..compiler_data.passes import evaluate_pipeline
from ..compiler_data.tuning import emulation_prompt, geomean_improvement, tuning_prompt
from ..scoring.limits import run_limited
from ..tempdirs import run_temp_root
from .stats import rate

__all__ = [
    "DISASSEMBLY_PROMPT",
    "TASKS",
    "assembles",
    "extract_code",
    "extract_pass_pipeline",
    "extract_size",
    "normalise_ir",
    "row_key",
    "score_disassembly",
    "score_emulation",
    "score_tuning",
    "summarise",
    "task_prompt",
]

log = logging.getLogger(__name__)

TASKS = ("emulate", "tune", "disassemble")

#: LLM Compiler's disassembly instruction
DISASSEMBLY_PROMPT = "Disassemble this code to LLVM-IR:"

#: answers longer than this are cut before any tool reads them
MAX_ANSWER_CHARS = 200_000


def row_key(task: str, row: dict[str, Any]) -> str:
    """A row's unique key within a task's dataset (``id``, plus the list index or optimisation level)."""
    if task == "emulate":
        return f"{row['id']}#{row.get('list_index', 0)}"
    if task == "disassemble":
        return f"{row['id']}@{row.get('opt_level', '')}"
    return str(row["id"])


def task_prompt(task: str, row: dict[str, Any]) -> str:
    """The instruction the model reads (LLM Compiler's prompts, ``[INST] ... [/INST]``).

    Raises:
        ValueError: an unknown task.
    """
    if task == "emulate":
        return emulation_prompt(row["input_ir"], row["pass_text"])
    if task == "tune":
        return tuning_prompt(row["input_ir"])
    if task == "disassemble":
        return f"[INST] {DISASSEMBLY_PROMPT}\n<code>{row['asm']}</code> [/INST]"
    raise ValueError(f"unknown task {task!r}; known: {TASKS}")


#: when to stop generating: the answer's code block has closed, or the pass list has ended
STOP_PATTERNS = {
    "emulate": r"</code>",
    "disassemble": r"</code>",
    "tune": r"-passes=[^\s`'\"]+[\s`'\"]",
}


def extract_code(answer: str) -> str | None:
    """The code of an answer: between ``<code>`` and ``</code>`` (to the end when unclosed), else the first
    fenced block, else None."""
    answer = answer[:MAX_ANSWER_CHARS]
    m = re.search(r"<code>(.*?)(?:</code>|$)", answer, re.DOTALL)
    if m:
        return m.group(1)
    m = re.search(r"```[\w+-]*\n(.*?)(?:```|$)", answer, re.DOTALL)
    return m.group(1) if m else None


def extract_size(answer: str) -> int | None:
    """The binary size an answer states (``Binary size: N bytes``), or None."""
    m = re.search(r"binary size(?: is| of| to|:)?\s*(\d+)\s*bytes", answer[:MAX_ANSWER_CHARS], re.IGNORECASE)
    return int(m.group(1)) if m else None


def extract_pass_pipeline(answer: str) -> str | None:
    """The pass pipeline text of an answer (``-passes=...``, up to whitespace, a backtick or a quote)."""
    m = re.search(r"-passes=([^\s`'\"]+)", answer[:MAX_ANSWER_CHARS])
    if not m:
        return None
    return m.group(1).rstrip(".,;:") or None


def normalise_ir(ir: str) -> str:
    """IR in a canonical form for exact match: comments, ``source_filename`` and debug info removed,
    trailing whitespace stripped, blank lines dropped (what remains must match line for line)."""
    text = clean_ir(ir, ("debug", "comments"))
    return "\n".join(x.rstrip() for x in text.split("\n") if x.strip()) + "\n"


def assembles(ir: str, tc: LLVMToolchain, timeout_s: float = 60.0, memory_mb: int = 4096) -> tuple[bool, str]:
    """Whether ``llvm-as`` accepts the IR (it parses and verifies); the first error line if not."""
    with tempfile.TemporaryDirectory(prefix="cfdpo-as-", dir=run_temp_root()) as d:
        with open(os.path.join(d, "m.ll"), "w", encoding="utf-8") as f:
            f.write(ir)
        out = run_limited([tc.llvm_as, "-o", "m.bc", "m.ll"], d, timeout_s, memory_mb)
        if out.returncode == 0:
            return True, ""
        return False, "timeout" if out.timed_out else (out.stderr.strip().splitlines() or ["failed"])[0][:300]


def _similarity(a: str, b: str) -> float:
    import Levenshtein

    return float(Levenshtein.ratio(a, b))


def _ape(pred: float, true: float) -> float | None:
    return abs(pred - true) / true if true else None


def score_emulation(row: dict[str, Any], answer: str, tc: LLVMToolchain, timeout_s: float = 60.0) -> dict[str, Any]:
    """Score one compiler-emulation answer against the row's opt output.

    Returns:
        ``assembles`` (bool), ``error`` (llvm-as's first line), ``exact_match`` (bool), ``edit_similarity``
        (0-1), ``stated_size`` (bytes the answer states, or None), ``stated_size_ape`` (its absolute
        percentage error as a fraction), ``predicted_ir_size`` (bytes of the predicted IR when it assembles
        and lowers) and ``predicted_ir_size_ape``.
    """
    code = extract_code(answer)
    true_norm = normalise_ir(row["output_ir"])
    out: dict[str, Any] = {
        "assembles": False,
        "error": "no_code",
        "exact_match": False,
        "edit_similarity": 0.0,
        "stated_size": extract_size(answer),
        "stated_size_ape": None,
        "predicted_ir_size": None,
        "predicted_ir_size_ape": None,
    }
    if out["stated_size"] is not None:
        out["stated_size_ape"] = _ape(out["stated_size"], row["output_size"])
    if code is None or not code.strip():
        return out
    pred_norm = normalise_ir(code)
    ok, err = assembles(code, tc, timeout_s)
    out.update(
        assembles=ok, error=err, exact_match=pred_norm == true_norm, edit_similarity=round(_similarity(pred_norm, true_norm), 4)
    )
    if ok:
        res = evaluate_pipeline(code, "", tc, timeout_s, keep_ir=False)
        if res.size is not None:
            out["predicted_ir_size"] = res.size.binary_size
            out["predicted_ir_size_ape"] = _ape(res.size.binary_size, row["output_size"])
    return out


def score_tuning(
    row: dict[str, Any], answer: str, tc: LLVMToolchain, timeout_s: float = 60.0, executor: Any = None
) -> dict[str, Any]:
    """Score one flag-tuning answer: run its pass list on the row's IR and size the result.

    Args:
        row: a ``tuning.jsonl`` row (``input_ir``, ``size`` = the search's best, ``oz_size``; ``source``,
            ``language``, ``tests`` and ``include_dir`` when the program can be tested).
        answer: the model's text.
        executor: an :class:`~cfdpo.scoring.execution.ExecutionScorer` for differential testing, or None.

    Returns:
        ``pipeline`` (the text run, or None), ``valid`` (opt accepted and the result was sized), ``failure``
        (``no_pass_list``, ``opt_error``, ``opt_crash``, ``opt_timeout``, ``llc_error``, ...), ``size``,
        ``oz_size``, ``searched_size``, ``validation`` (``valid``, ``behaviour_changed``,
        ``compiler_crash``, ``reference_failed`` or None when not tested) and ``effective_size`` (the
        size, or ``oz_size`` when the list failed or changed behaviour).
    """
    text = extract_pass_pipeline(answer)
    out: dict[str, Any] = {
        "pipeline": text,
        "valid": False,
        "failure": "no_pass_list",
        "size": None,
        "oz_size": row["oz_size"],
        "searched_size": row["size"],
        "validation": None,
        "effective_size": row["oz_size"],
    }
    if text is None:
        return out
    res = evaluate_pipeline(row["input_ir"], text, tc, timeout_s, keep_ir=False)
    if res.size is None:
        out["failure"] = res.failure
        return out
    out.update(valid=True, failure="", size=res.size.binary_size, effective_size=res.size.binary_size)
    tests = row.get("tests") or []
    if executor is not None and tests and row.get("source"):
        from ..compiler_data.tuning import validate_pass_list
        from ..scoring.execution import TestCase

        incs = (row["include_dir"],) if row.get("include_dir") else ()
        v = validate_pass_list(
            row["source"],
            row.get("language", "C++"),
            row["input_ir"],
            [],
            {},
            tc,
            [TestCase(t["input"], t["output"]) for t in tests],
            executor,
            incs,
            pipeline=text,
        )
        out["validation"] = v.verdict
        if v.verdict in ("behaviour_changed", "compiler_crash"):
            out["effective_size"] = row["oz_size"]
    return out


def score_disassembly(row: dict[str, Any], answer: str, tc: LLVMToolchain, timeout_s: float = 60.0) -> dict[str, Any]:
    """Score one disassembly answer against the row's IR and assembly.

    Returns:
        ``assembles``, ``error``, ``round_trip`` (llc of the predicted IR, with the row's ``llc_flags``,
        equals the row's assembly after :func:`~cfdpo.compiler_data.disassembly.normalise_asm`),
        ``exact_match`` (normalised IR) and ``edit_similarity`` (0-1).
    """
    code = extract_code(answer)
    out: dict[str, Any] = {
        "assembles": False,
        "error": "no_code",
        "round_trip": False,
        "exact_match": False,
        "edit_similarity": 0.0,
    }
    if code is None or not code.strip():
        return out
    pred_norm, true_norm = normalise_ir(code), normalise_ir(row["ir"])
    ok, err = assembles(code, tc, timeout_s)
    out.update(
        assembles=ok, error=err, exact_match=pred_norm == true_norm, edit_similarity=round(_similarity(pred_norm, true_norm), 4)
    )
    if ok:
        flags = tuple(row.get("llc_flags") or ())
        asm, _ = lower_to_asm(code, tc, timeout_s, flags=flags) if flags else lower_to_asm(code, tc, timeout_s)
        out["round_trip"] = asm is not None and asm == normalise_asm(row["asm"])
    return out


def _mean(xs: Sequence[float | None]) -> float | None:
    vals = [x for x in xs if x is not None]
    return round(sum(vals) / len(vals), 4) if vals else None


def summarise(task: str, scores: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Aggregate per-row scores into the task's metrics (rates with 95% Wilson intervals).

    emulate: ``assembles``, ``exact_match`` (rates), ``stated_size_mape`` and ``predicted_ir_size_mape``
    (fractions, over the rows where a size exists; ``n`` beside each), ``edit_similarity_mean``.
    tune: ``valid`` (rate), ``failures`` (by reason), ``improvement_over_oz_geomean`` (the model's lists,
    failures as -Oz), ``searched_improvement_over_oz_geomean``, ``share_of_search_recovered`` (ratio of
    the two), ``beats_oz`` and ``matches_search`` (rates), ``validation`` (counts).
    disassemble: ``assembles``, ``round_trip``, ``exact_match`` (rates), ``edit_similarity_mean``.
    """
    n = len(scores)

    def r(key: str) -> dict[str, Any]:
        return rate(sum(bool(s[key]) for s in scores), n)

    if task == "emulate":
        stated = [s["stated_size_ape"] for s in scores if s["stated_size_ape"] is not None]
        measured = [s["predicted_ir_size_ape"] for s in scores if s["predicted_ir_size_ape"] is not None]
        return {
            "n": n,
            "assembles": r("assembles"),
            "exact_match": r("exact_match"),
            "stated_size_mape": _mean(stated),
            "stated_size_n": len(stated),
            "predicted_ir_size_mape": _mean(measured),
            "predicted_ir_size_n": len(measured),
            "edit_similarity_mean": _mean([s["edit_similarity"] for s in scores]),
        }
    if task == "tune":
        eff = [s["effective_size"] for s in scores]
        oz = [s["oz_size"] for s in scores]
        searched = [s["searched_size"] for s in scores]
        model_gain = round(geomean_improvement(eff, oz), 4) if scores else None
        search_gain = round(geomean_improvement(searched, oz), 4) if scores else None
        share = round(model_gain / search_gain, 4) if model_gain is not None and search_gain else None
        return {
            "n": n,
            "valid": r("valid"),
            "failures": dict(Counter(s["failure"] for s in scores if s["failure"])),
            "improvement_over_oz_geomean": model_gain,
            "searched_improvement_over_oz_geomean": search_gain,
            "share_of_search_recovered": share,
            "beats_oz": rate(sum(e < o for e, o in zip(eff, oz)), n),
            "matches_search": rate(sum(e <= s for e, s in zip(eff, searched)), n),
            "validation": dict(Counter(s["validation"] for s in scores if s["validation"])),
        }
    if task == "disassemble":
        return {
            "n": n,
            "assembles": r("assembles"),
            "round_trip": r("round_trip"),
            "exact_match": r("exact_match"),
            "edit_similarity_mean": _mean([s["edit_similarity"] for s in scores]),
        }
    raise ValueError(f"unknown task {task!r}; known: {TASKS}")
