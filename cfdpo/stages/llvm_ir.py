"""The ``cfdpo llvm-ir`` stage: source ↔ LLVM IR pairs (IRCoder / SLTrans style) and disassembly rows.

``--data`` is a CodeNet-layout corpus (accepted programs of every problem) or any
directory of ``.c`` / ``.cpp`` / ``.cc`` files (e.g. MiBench's translation units).
Writes into ``--out``: ``ir.jsonl`` (``id, problem_id, source, language, opt_level,
ir, ir_instruction_count, clang_version, clang_path, cleaning``), ``dropped.jsonl``
(``id, opt_level, reason``), ``summary.json`` (counts by stage and reason,
programs/s) and, with ``--format pairs``, ``pairs.jsonl``: prompt/completion
rows in both directions with the sentinel tokens, ready for
``cfdpo sft --train_file OUT/pairs.jsonl``. Rerunning continues where it stopped.
Files from a source tree are compiled with their own directory on the include
path (``-I``), so that they find their sibling headers; C is GNU C17 with
clang 16's new errors for pre-C99 code turned back into warnings.

With ``--disassembly`` each row is also lowered by llc to x86-64 assembly and
``disassembly.jsonl`` gets (asm, IR) rows, deduplicated on the normalised assembly
(``disassembly_pairs.jsonl`` too with ``--format pairs``); see
:mod:`cfdpo.compiler_data.disassembly`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..corpus.programs import collect_programs

log = logging.getLogger(__name__)


@dataclass
class LLVMIRArguments:
    """``cfdpo llvm-ir`` arguments (YAML keys = these field names)."""

    data: str = field(metadata={"help": "CodeNet-layout corpus or a directory of C/C++ files."})
    out: str = field(default="runs/llvm-ir", metadata={"help": "Output directory."})
    opt_levels: str = field(default="O0,Oz,O3", metadata={"help": "Comma-separated clang optimisation levels."})
    format: str = field(default="rows", metadata={"help": "rows (ir.jsonl) or pairs (also pairs.jsonl)."})
    clean: str = field(
        default="target,debug,ident_flags,attributes,comments",
        metadata={"help": "IR cleaning steps to apply (comma-separated; empty for none)."},
    )
    limit: int | None = field(default=None, metadata={"help": "Use at most this many programs."})
    dedup_threshold: float = field(default=0.5, metadata={"help": "MinHash Jaccard threshold (IRCoder: 0.5); 1 disables."})
    dedup_ngram: int = field(default=8, metadata={"help": "Token n-gram size for MinHash (IRCoder: 8)."})
    tokenizer: str | None = field(default=None, metadata={"help": "Tokenizer for the length filter."})
    max_tokens: int | None = field(default=None, metadata={"help": "Drop rows whose source + IR exceed this."})
    llvm_version: int | None = field(default=None, metadata={"help": "LLVM release (default: newest complete)."})
    timeout_s: float = field(default=60.0, metadata={"help": "Per clang / opt call."})
    workers: int | None = field(default=None, metadata={"help": "Parallel programs (default: CPU count)."})
    disassembly: bool = field(
        default=False, metadata={"help": "Also write (x86-64 assembly, IR) rows: disassembly.jsonl (llc per row, deduplicated)."}
    )

    def __post_init__(self) -> None:
        """Check every value before any work (raises :class:`~cfdpo.errors.OptionError`)."""
        from ..options import at_least, choice, in_range, positive

        choice("format", self.format, ("rows", "pairs"))
        at_least("limit", self.limit, 1, optional=True)
        in_range("dedup_threshold", self.dedup_threshold, 0, 1, hi_open=False)
        at_least("dedup_ngram", self.dedup_ngram, 1)
        at_least("max_tokens", self.max_tokens, 1, optional=True)
        positive("timeout_s", self.timeout_s)
        at_least("workers", self.workers, 1, optional=True)


def run(a: LLVMIRArguments) -> dict[str, Any]:
    """Build (or continue building) the dataset; returns the summary."""
    from collections import Counter

    from ..compiler_data.llvm_ir import (
        clean_ir,
        dedup_minhash,
        emit_ir,
        find_llvm,
        ir_instruction_count,
        pair_rows,
        verify_ir,
    )
    from ..jsonl import map_and_append, read_jsonl, write_jsonl
    from ..runinfo import check_or_write_run_config, write_json

    t0 = time.time()
    levels = [x.strip() for x in a.opt_levels.split(",") if x.strip()]
    steps = [x.strip() for x in a.clean.split(",") if x.strip()]
    if a.format not in ("rows", "pairs"):
        raise ValueError(f"--format must be rows or pairs, got {a.format!r}")
    tc = find_llvm(a.llvm_version)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    check_or_write_run_config(out, {**asdict(a), "llvm": tc.to_dict()}, ignore=("workers", "out", "disassembly"))
    progs, skipped = collect_programs(Path(a.data), a.limit)
    keep = (
        dedup_minhash([p["source"] for p in progs], a.dedup_threshold, a.dedup_ngram)
        if a.dedup_threshold < 1
        else list(range(len(progs)))
    )
    near_dups = len(progs) - len(keep)
    progs = [progs[i] for i in keep]
    tok = None
    if a.max_tokens:
        from transformers import AutoTokenizer

        from ..model_files import resolve_model

        tok = AutoTokenizer.from_pretrained(resolve_model(a.tokenizer))

    rows_path, drop_path = out / "ir.jsonl", out / "dropped.jsonl"
    done = {(r["id"], r["opt_level"]) for r in read_jsonl(rows_path, repair=True)}
    done |= {(r["id"], r["opt_level"]) for r in read_jsonl(drop_path, repair=True)}

    def one(p: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        rows, drops = [], []
        for lvl in levels:
            if (p["id"], lvl) in done:
                continue
            # a source tree's files include their siblings' headers; CodeNet programs stand alone
            incs = (p["include_dir"],) if p.get("include_dir") else ()
            ir, why = emit_ir(p["source"], p["language"], lvl, tc, a.timeout_s, include_dirs=incs)
            if ir is None:
                drops.append({"id": p["id"], "opt_level": lvl, "reason": why})
                continue
            cleaned = clean_ir(ir, steps)
            ok, err = verify_ir(cleaned, tc, a.timeout_s)
            if not ok:
                drops.append({"id": p["id"], "opt_level": lvl, "reason": "verify_failed", "error": err[:500]})
                continue
            if tok is not None and a.max_tokens is not None and len(tok(p["source"] + cleaned)["input_ids"]) > a.max_tokens:
                drops.append({"id": p["id"], "opt_level": lvl, "reason": "too_long"})
                continue
            rows.append(
                {
                    "id": p["id"],
                    "problem_id": p["problem_id"],
                    "source": p["source"],
                    "language": p["language"],
                    "opt_level": lvl,
                    "ir": cleaned,
                    "ir_instruction_count": ir_instruction_count(cleaned),
                    "clang_version": tc.clang_version,
                    "clang_path": tc.clangxx if p["language"] == "C++" else tc.clang,
                    "cleaning": steps,
                }
            )
        return rows, drops

    todo = [p for p in progs if any((p["id"], lvl) not in done for lvl in levels)]
    work_s = map_and_append(todo, one, rows_path, drop_path, total=len(progs), chunk=16, workers=a.workers, desc="llvm-ir")
    rows = read_jsonl(rows_path)
    drops = read_jsonl(drop_path)
    if a.format == "pairs":
        write_jsonl(out / "pairs.jsonl", [x for r in rows for x in pair_rows(r)])
    disasm = None
    if a.disassembly:
        from ..compiler_data.disassembly import build_disassembly

        long_asm = None
        if tok is not None and a.max_tokens is not None:
            limit = a.max_tokens
            long_asm = lambda asm, ir: len(tok(asm + ir)["input_ids"]) > limit
        disasm = build_disassembly(rows, out, tc, a.timeout_s, a.workers, a.format == "pairs", long_asm)
    by_level = Counter(r["opt_level"] for r in rows)
    summary = {
        "programs_found": len(progs) + near_dups,
        "near_duplicates_dropped": near_dups,
        "programs": len(progs),
        "rows": len(rows),
        "rows_per_level": dict(sorted(by_level.items())),
        "dropped_by_reason": dict(Counter(d["reason"] for d in drops)),
        "skipped_files": skipped,
        "disassembly": disasm,
        "programs_per_s_this_run": round(len(todo) / work_s, 2) if todo and work_s > 0 else None,
        "llvm": tc.to_dict(),
        "config": asdict(a),
        "wall_s": round(time.time() - t0, 1),
    }
    write_json(out / "summary.json", summary)
    return summary
