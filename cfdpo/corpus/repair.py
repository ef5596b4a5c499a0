"""Repair prompts: a failed completion's compiler feedback, given back to the model.

RLEF (Gehring et al. 2024, arXiv 2410.02089) repairs code over several turns
from execution feedback; self-repair studies (Olausson et al. 2023, arXiv
2306.09896) find the gain depends on the quality of the feedback text. cfdpo's
feedback is compact: the first few g++ errors as ``line:col: kind: message``,
each followed by the offending source line of the failed program (not the raw
JSON), or, for a program that compiled but failed its sample tests, the
execution verdict and how many tests passed.

The model then completes the masked program again from its last intact line:
the masked prompt is the reference's own code (it compiled), so the failed
completion is dropped and the new completion continues the prompt, under the
same stop rule and clean-up as the first turn (:func:`cfdpo.corpus.prompts.clean_completion`);
g++ judges prompt + new completion, never the feedback.

* ``raw``: the feedback as a ``//`` comment block, then the program;
* ``chat``: the feedback in the user turn, before the fenced program; the answer is fenced.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..scoring.diagnostics import Diagnostic

__all__ = ["MAX_FEEDBACK_ERRORS", "feedback_for", "feedback_lines", "raw_feedback_block"]

#: errors quoted in a repair prompt, at most
MAX_FEEDBACK_ERRORS = 3

_LINE_CHARS = 200


def feedback_lines(
    program: str,
    diagnostics: Sequence[Mapping[str, Any] | Diagnostic],
    max_errors: int = MAX_FEEDBACK_ERRORS,
    include_warnings: bool = True,
) -> list[str]:
    """The first ``max_errors`` diagnostics of ``program`` as ``line:col: kind: message`` lines, each followed by
    ``  <line> | <source line>`` when the diagnostic points into the program.

    Errors come first (in g++'s order); warnings follow when ``include_warnings`` (a warning is a failure under
    the paper's policy); notes are left out. Long messages and source lines are cut at 200 characters.
    """
    diags = [d if isinstance(d, Diagnostic) else Diagnostic.from_dict(dict(d)) for d in diagnostics]
    errors = [d for d in diags if d.is_error]
    warnings = [d for d in diags if d.kind == "warning"] if include_warnings else []
    src = program.split("\n")
    out: list[str] = []
    for d in (errors + warnings)[:max_errors]:
        where = (
            f"{d.line}:{d.column}: "
            if d.line is not None and d.column is not None
            else (f"{d.line}: " if d.line is not None else "")
        )
        out.append(f"{where}{d.kind}: {d.message[:_LINE_CHARS]}")
        in_program = d.file in (None, "prog.cpp") or (d.file or "").endswith("prog.cpp")
        if in_program and d.line is not None and 1 <= d.line <= len(src):
            out.append(f"  {d.line} | {src[d.line - 1][:_LINE_CHARS].rstrip()}")
    return out


def feedback_for(row: Mapping[str, Any], max_errors: int = MAX_FEEDBACK_ERRORS) -> str:
    """The feedback text for one scored sample row (``prompt``, ``completion``, ``verdict``, ``diagnostics`` and,
    with test runs, ``exec_verdict``, ``tests_passed``, ``tests_total``).

    Returns:
        A few lines: a header saying what went wrong, then the quoted diagnostics (compile failures and
        warnings), or the execution verdict (programs that compiled but failed their tests).
    """
    program = row["prompt"] + row["completion"]
    if (
        row["verdict"] in ("ok", "warning")
        and row.get("exec_verdict") not in (None, "pass")
        and (row["verdict"] == "ok" or row.get("good"))
    ):
        return (
            f"The previous completion compiled but failed the sample tests: {row['exec_verdict']} "
            f"({row.get('tests_passed', 0)}/{row.get('tests_total', 0)} tests passed)."
        )
    lines = feedback_lines(program, row.get("diagnostics") or [], max_errors)
    head = (
        "The previous completion did not compile (g++):"
        if row["verdict"] != "warning"
        else "The previous completion compiled with warnings, which count as failures:"
    )
    if not lines:
        lines = [f"{row['verdict']} (no diagnostic text)"]
    return "\n".join([head, *lines])


def raw_feedback_block(feedback: str) -> str:
    """The feedback as a C++ ``//`` comment block (ending with a line that asks for the rewrite), for raw prompts."""
    lines = [*feedback.split("\n"), "Complete the program again, correctly:"]
    return "".join(f"// {ln}".rstrip() + "\n" for ln in lines)
