"""Disassembly data: (x86-64 assembly, LLVM IR) rows, as LLM Compiler trains and scores disassembly.

Cummins et al., "Meta Large Language Model Compiler" (2024, arXiv 2407.02524),
Sec. 3.4: the model reads x86-64 assembly and writes the LLVM IR it came from;
a prediction is scored by whether it assembles, whether lowering it back gives
the same assembly (the *round trip*) and by exact match of the IR.

Here each row of ``cfdpo llvm-ir`` (cleaned, verified IR at one optimisation
level) is lowered by the same release's ``llc`` with fixed flags
(:data:`LLC_FLAGS`), and the assembly is normalised (:func:`normalise_asm`:
comments, ``.file``/``.ident``/``.addrsig`` lines and the GNU-stack note
removed, whitespace collapsed) so that two lowerings of the same IR compare
equal. Rows with the same normalised assembly are kept once. Pairs use the
sentinel :data:`DISASSEMBLY_SENTINEL` in the layout of the source ↔ IR pairs.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..jsonl import append_jsonl, read_jsonl, write_jsonl
from ..scoring.limits import run_limited
from ..tempdirs import run_temp_root
from .llvm_ir import LLVMToolchain

__all__ = [
    "DISASSEMBLY_SENTINEL",
    "LLC_FLAGS",
    "build_disassembly",
    "disassembly_pair",
    "lower_to_asm",
    "normalise_asm",
]

log = logging.getLogger(__name__)

#: direction token of the disassembly pairs (beside IRCoder's ``<source_to_llvm>`` / ``<llvm_to_source>``)
DISASSEMBLY_SENTINEL = "<asm_to_llvm>"

#: how every row's assembly is made (and how a predicted IR is lowered again for the round trip)
LLC_FLAGS = ("-O2", "-mtriple=x86_64-unknown-linux-gnu")

_DROP_DIRECTIVES = (".file", ".ident", ".addrsig", '.section\t".note.GNU-stack"', '.section ".note.GNU-stack"')


def _strip_asm_comment(line: str) -> str:
    """The line without a ``#`` comment (a ``#`` inside a quoted string is not one)."""
    quoted = False
    prev = ""
    for i, c in enumerate(line):
        if c == '"' and prev != "\\":
            quoted = not quoted
        elif c == "#" and not quoted:
            return line[:i]
        prev = c
    return line


def normalise_asm(asm: str) -> str:
    """Assembly in a canonical form: comments, ``.file``, ``.ident``, ``.addrsig*`` and the GNU-stack note
    dropped, runs of whitespace collapsed to one space, blank lines removed. Idempotent."""
    out = []
    for line in asm.split("\n"):
        s = re.sub(r"\s+", " ", _strip_asm_comment(line)).strip()
        if not s or s.startswith(_DROP_DIRECTIVES) or s == '.section ".note.GNU-stack","",@progbits':
            continue
        out.append(s)
    return "\n".join(out) + "\n" if out else ""


def lower_to_asm(
    ir: str, tc: LLVMToolchain, timeout_s: float = 60.0, memory_mb: int = 4096, flags: tuple[str, ...] = LLC_FLAGS
) -> tuple[str | None, str]:
    """Lower textual IR to normalised x86-64 assembly with ``llc`` (in a temp dir, under limits).

    Returns:
        ``(asm, "")`` or ``(None, reason)`` with reason ``llc_error`` (the IR does not parse or
        verify, or llc refused it; the first error line follows a colon), ``llc_timeout`` or ``llc_crash``.
    """
    with tempfile.TemporaryDirectory(prefix="cfdpo-llc-", dir=run_temp_root()) as d:
        with open(os.path.join(d, "m.ll"), "w", encoding="utf-8") as f:
            f.write(ir)
        out = run_limited([tc.llc, *flags, "-o", "m.s", "m.ll"], d, timeout_s, memory_mb)
        if out.timed_out:
            return None, "llc_timeout"
        if out.returncode != 0:
            first = next((x for x in out.stderr.splitlines() if "error" in x), "")
            return None, ("llc_crash" if (out.returncode or 0) < 0 else "llc_error") + (f": {first[:300]}" if first else "")
        with open(os.path.join(d, "m.s"), encoding="utf-8", errors="replace") as f:
            return normalise_asm(f.read()), ""


def disassembly_pair(row: dict[str, Any]) -> dict[str, Any]:
    """The training row of one disassembly row: ``<asm_to_llvm>`` + assembly → IR (for ``cfdpo sft``)."""
    return {
        "id": row["id"],
        "opt_level": row["opt_level"],
        "language": row["language"],
        "direction": "asm_to_llvm",
        "prompt": f"{DISASSEMBLY_SENTINEL}\n{row['asm'].strip()}\n",
        "completion": row["ir"].strip(),
    }


def _asm_hash(asm: str) -> str:
    return hashlib.sha256(asm.encode("utf-8")).hexdigest()


def build_disassembly(
    ir_rows: list[dict[str, Any]],
    out: Path,
    tc: LLVMToolchain,
    timeout_s: float = 60.0,
    workers: int | None = None,
    pairs: bool = False,
    too_long: Callable[[str, str], bool] | None = None,
) -> dict[str, Any]:
    """Write (or continue) ``out/disassembly.jsonl`` from ``cfdpo llvm-ir`` rows.

    Row schema: ``id, problem_id, language, opt_level, asm`` (normalised, see :func:`normalise_asm`),
    ``ir`` (the cleaned IR it was lowered from), ``asm_chars``, ``llc_flags``, ``llvm_version``.
    Rows whose assembly repeats an earlier row's are dropped (``duplicate_asm``), as are rows llc
    cannot lower and rows ``too_long(asm, ir)`` rejects; drops go to ``disassembly_dropped.jsonl``
    (``id, opt_level, reason``). A rerun skips what either file holds. With ``pairs``,
    ``disassembly_pairs.jsonl`` is rewritten from all rows (:func:`disassembly_pair`).

    Returns:
        ``{"rows", "dropped_by_reason"}`` over the whole file.
    """
    rows_path, drop_path = out / "disassembly.jsonl", out / "disassembly_dropped.jsonl"
    have = read_jsonl(rows_path, repair=True)
    dropped = read_jsonl(drop_path, repair=True)
    done = {(r["id"], r["opt_level"]) for r in have} | {(r["id"], r["opt_level"]) for r in dropped}
    seen = {_asm_hash(r["asm"]) for r in have}
    todo = [r for r in ir_rows if (r["id"], r["opt_level"]) not in done]

    def lower(r: dict[str, Any]) -> tuple[str | None, str]:
        return lower_to_asm(r["ir"], tc, timeout_s)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for i in range(0, len(todo), 32):
            chunk = todo[i : i + 32]
            new, drops = [], []
            for r, (asm, why) in zip(chunk, pool.map(lower, chunk)):
                key = {"id": r["id"], "opt_level": r["opt_level"]}
                if asm is None:
                    drops.append({**key, "reason": why.split(":")[0], "error": why})
                elif _asm_hash(asm) in seen:
                    drops.append({**key, "reason": "duplicate_asm"})
                elif too_long is not None and too_long(asm, r["ir"]):
                    drops.append({**key, "reason": "too_long"})
                else:
                    seen.add(_asm_hash(asm))
                    new.append(
                        {
                            **key,
                            "problem_id": r["problem_id"],
                            "language": r["language"],
                            "asm": asm,
                            "ir": r["ir"],
                            "asm_chars": len(asm),
                            "llc_flags": list(LLC_FLAGS),
                            "llvm_version": tc.version,
                        }
                    )
            append_jsonl(rows_path, new)
            append_jsonl(drop_path, drops)
    rows = read_jsonl(rows_path)
    if pairs:
        write_jsonl(out / "disassembly_pairs.jsonl", [disassembly_pair(r) for r in rows])
    return {"rows": len(rows), "dropped_by_reason": dict(Counter(d["reason"] for d in read_jsonl(drop_path)))}
