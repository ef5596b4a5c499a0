"""``cfdpo pass-lists emulate|tune``: compiler-emulation and flag-tuning datasets from opt pass lists.

Both read programs like ``cfdpo llvm-ir`` (a CodeNet-layout corpus or a directory of
C/C++ files; several comma-separated; a directory holding ``humaneval*.jsonl`` is read
as HumanEval-X's self-testing C++ programs), emit IR that passes can still act on
(``clang -O2 -Xclang -disable-llvm-passes``) and use the LLVM release's pass
catalogue (``cfdpo/compiler_data/passes-llvm<N>.json``).

``emulate`` writes ``emulation.jsonl``: per program ``--lists_per_program`` random
pass lists of 1-50 passes, each row (input IR, pass list, input size, output IR,
output size, instruction counts, LLM Compiler-style ``prompt``/``answer``);
lists that crash opt or time out are excluded and counted.

``tune`` writes ``tuning.jsonl``: per program random search (``--budget`` lists),
minimisation to a fixed point, validation by differential testing for programs
that have tests (CodeNet sample I/O; the build with the pass list must behave
like ``clang -O2`` under the execution sandbox), then broadcasting of the most
frequent winning lists to every program. ``summary.json`` reports the
geometric-mean size improvement over -Oz, the share of programs improved, the
validation rejection rate and evaluations/s. Both commands are parallel,
resumable (rows are appended per program and skipped on a rerun) and show progress.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class PassListsArguments:
    """``cfdpo pass-lists`` arguments (YAML keys = these field names)."""

    data: str = field(metadata={"help": "Corpus or source directories, comma-separated."})
    out: str = field(default="runs/pass-lists", metadata={"help": "Output directory."})
    limit: int | None = field(default=None, metadata={"help": "Programs per data directory, at most."})
    llvm_version: int = field(default=16, metadata={"help": "LLVM release (its tools and pass catalogue)."})
    seed: int = field(default=0, metadata={"help": "Seeds the random pass lists."})
    workers: int | None = field(default=None, metadata={"help": "Parallel programs (default: CPU count)."})
    timeout_s: float = field(default=60.0, metadata={"help": "Per clang / opt / llc call."})
    max_ir_chars: int | None = field(default=200_000, metadata={"help": "Skip programs with larger IR."})
    lists_per_program: int = field(default=8, metadata={"help": "emulate: random pass lists per program."})
    budget: int = field(default=20, metadata={"help": "tune: random pass lists tried per program."})
    minimise_evals: int = field(default=60, metadata={"help": "tune: evaluations allowed for minimisation."})
    validate: bool = field(
        default=True, metadata={"help": "tune: differential testing of pass lists on programs with tests (runs them, sandboxed)."}
    )
    broadcast_top: int = field(default=5, metadata={"help": "tune: most frequent winning lists tried everywhere."})
    time_limit_s: float = field(default=2.0, metadata={"help": "CPU seconds per test run during validation."})

    def __post_init__(self) -> None:
        """Check every value before any work (raises :class:`~cfdpo.errors.OptionError`)."""
        from ..options import at_least, positive

        at_least("limit", self.limit, 1, optional=True)
        at_least("workers", self.workers, 1, optional=True)
        positive("timeout_s", self.timeout_s)
        at_least("max_ir_chars", self.max_ir_chars, 1, optional=True)
        for name in ("lists_per_program", "budget"):
            at_least(name, getattr(self, name), 1)
        at_least("minimise_evals", self.minimise_evals, 0)
        at_least("broadcast_top", self.broadcast_top, 0)
        positive("time_limit_s", self.time_limit_s)


def _programs(a: PassListsArguments) -> tuple[list[dict[str, Any]], dict[str, int]]:
    from ..corpus.codenet import read_tests
    from ..corpus.programs import collect_programs

    progs: list[dict[str, Any]] = []
    skipped: Counter = Counter()
    for d in [x.strip() for x in a.data.split(",") if x.strip()]:
        root = Path(d)
        if list(root.glob("humaneval*.jsonl")):
            progs += _humaneval(root, a.limit)
            continue
        ps, sk = collect_programs(root, a.limit)
        codenet = (root / "data").is_dir() and (root / "metadata").is_dir()
        tests_cache: dict[str, list[dict[str, str]]] = {}
        for p in ps:
            p["id"] = f"{root.name}/{p['id']}"
            if codenet:
                pid = p["problem_id"]
                if pid not in tests_cache:
                    tests_cache[pid] = read_tests(root, pid)
                p["tests"] = tests_cache[pid]
            else:
                p["tests"] = []
        progs += ps
        skipped.update(sk)
    return progs, dict(skipped)


def _humaneval(root: Path, limit: int | None) -> list[dict[str, Any]]:
    """HumanEval-X C++ problems as self-testing programs (declaration + canonical solution + test: the
    asserts in ``main`` are the test, so the expected output is empty and the exit status 0)."""
    progs: list[dict[str, Any]] = []
    for f in sorted(root.glob("humaneval*.jsonl")):
        for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
                src = r["declaration"] + r["canonical_solution"] + "\n" + r["test"]
            except (ValueError, KeyError) as e:
                raise ValueError(f"{f}:{i}: not a HumanEval-X row ({e})") from e
            progs.append(
                {
                    "id": f"{root.name}/{r['task_id']}",
                    "problem_id": r["task_id"],
                    "language": "C++",
                    "source": src,
                    "tests": [{"input": "", "output": ""}],
                }
            )
            if limit and len(progs) >= limit:
                return progs
    return progs


def run(a: PassListsArguments, mode: str) -> dict[str, Any]:
    """Build (or continue building) the emulation or tuning dataset; returns the summary."""
    from tqdm.auto import tqdm

    from ..compiler_data.llvm_ir import find_llvm
    from ..compiler_data.passes import evaluate_pass_list, load_catalogue, pipeline_text, unoptimised_ir
    from ..compiler_data.tuning import (
        emulation_prompt,
        geomean_improvement,
        random_pass_list,
        tidy_ir,
        tune_ir,
        validate_pass_list,
    )
    from ..jsonl import map_and_append, read_jsonl
    from ..runinfo import check_or_write_run_config, write_json
    from ..scoring.execution import ExecutionScorer, TestCase

    if mode not in ("emulate", "tune"):
        raise ValueError(f"mode must be emulate or tune, got {mode!r}")
    t0 = time.time()
    tc = find_llvm(a.llvm_version)
    catalogue = load_catalogue(a.llvm_version)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    check_or_write_run_config(out, {**asdict(a), "mode": mode, "llvm": tc.to_dict()}, ignore=("workers", "out"))
    progs, skipped = _programs(a)
    rows_path = out / ("emulation.jsonl" if mode == "emulate" else "programs.jsonl")
    drop_path = out / "dropped.jsonl"
    done = {r["id"] for r in read_jsonl(rows_path, repair=True)} | {r["id"] for r in read_jsonl(drop_path, repair=True)}
    executor = ExecutionScorer(time_limit_s=a.time_limit_s) if (mode == "tune" and a.validate) else None
    evals: Counter[str] = Counter()

    def prepare(p: dict[str, Any]) -> tuple[str | None, str]:
        incs = (p["include_dir"],) if p.get("include_dir") else ()
        ir, why = unoptimised_ir(p["source"], p["language"], tc, a.timeout_s, incs)
        if ir is None:
            return None, why
        ir = tidy_ir(ir)
        if a.max_ir_chars and len(ir) > a.max_ir_chars:
            return None, "ir_too_large"
        return ir, ""

    def emulate_one(p: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        ir, why = prepare(p)
        if ir is None:
            return [], [{"id": p["id"], "reason": why}]
        base = evaluate_pass_list(ir, [], catalogue, tc, a.timeout_s, keep_ir=False)
        evals["n"] += 1
        if base.size is None:
            return [], [{"id": p["id"], "reason": base.failure}]
        import random

        rng = random.Random(f"{a.seed}:{p['id']}")
        rows, drops = [], []
        for k in range(a.lists_per_program):
            lst = random_pass_list(rng, catalogue)
            res = evaluate_pass_list(ir, lst, catalogue, tc, a.timeout_s)
            evals["n"] += 1
            text = pipeline_text(lst, catalogue)
            if res.size is None:
                drops.append({"id": p["id"], "list": k, "reason": res.failure, "passes": lst})
                continue
            rows.append(
                {
                    "id": p["id"],
                    "list_index": k,
                    "problem_id": p["problem_id"],
                    "language": p["language"],
                    "input_ir": ir,
                    "passes": lst,
                    "pass_text": text,
                    "input_size": base.size.binary_size,
                    "input_instructions": base.size.instructions,
                    "output_ir": res.ir,
                    "output_size": res.size.binary_size,
                    "output_instructions": res.size.instructions,
                    "llvm_version": tc.version,
                    "prompt": emulation_prompt(ir, text),
                    "answer": f"<code>{res.ir}</code>\nBinary size: {res.size.binary_size} bytes "
                    f"(.text {res.size.text} + .data {res.size.data}); {res.size.instructions} instructions.",
                }
            )
        if not rows and not drops:
            drops.append({"id": p["id"], "reason": "no_lists"})
        return rows, drops

    def tune_one(p: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        ir, why = prepare(p)
        if ir is None:
            return [], [{"id": p["id"], "reason": why}]
        res = tune_ir(ir, catalogue, tc, a.budget, f"{a.seed}:{p['id']}", a.minimise_evals, a.timeout_s)
        evals["n"] += res.evaluations + 1
        if res.size is None or res.oz_size is None:
            return [], [{"id": p["id"], "reason": "baseline_failed"}]
        val = None
        tests = [TestCase(t["input"], t["output"]) for t in p["tests"]]
        if executor is not None and tests:
            incs = (p["include_dir"],) if p.get("include_dir") else ()
            val = validate_pass_list(p["source"], p["language"], ir, res.passes, catalogue, tc, tests, executor, incs).verdict
        return [
            {
                "id": p["id"],
                "problem_id": p["problem_id"],
                "language": p["language"],
                "source": p["source"],
                "input_ir": ir,
                "tests": p["tests"],
                "include_dir": p.get("include_dir"),
                "passes": res.passes,
                "size": res.size,
                "oz_size": res.oz_size,
                "unoptimised_size": res.unoptimised_size,
                "random_best": res.random_best,
                "random_best_size": res.random_best_size,
                "evaluations": res.evaluations,
                "failures": res.failures,
                "validation": val,
            }
        ], []

    todo = [p for p in progs if p["id"] not in done]
    one = emulate_one if mode == "emulate" else tune_one
    work_s = map_and_append(
        todo, one, rows_path, drop_path, total=len(progs), chunk=8, workers=a.workers, desc=f"pass-lists {mode}"
    )
    rows = read_jsonl(rows_path)
    drops = read_jsonl(drop_path)
    summary: dict[str, Any] = {
        "mode": mode,
        "programs_found": len(progs),
        "skipped_files": skipped,
        "dropped_by_reason": dict(Counter(d["reason"] for d in drops if "list" not in d)),
        "evaluations_this_run": evals["n"],
        "evals_per_s_this_run": round(evals["n"] / work_s, 2) if evals["n"] and work_s > 0 else None,
        "catalogue": {"llvm_version": catalogue["llvm_version"], "passes": len(catalogue["passes"])},
        "llvm": tc.to_dict(),
        "config": asdict(a),
    }
    if mode == "emulate":
        summary.update(
            {
                "rows": len(rows),
                "programs": len({r["id"] for r in rows}),
                "lists_excluded_by_reason": dict(Counter(d["reason"] for d in drops if "list" in d)),
            }
        )
    else:
        summary.update(_broadcast_and_finish(a, rows, catalogue, tc, executor, out, tqdm, evals))
        summary["evaluations_this_run"] = evals["n"]
        final = read_jsonl(out / "tuning.jsonl")
        summary["improvement_over_oz_geomean"] = round(
            geomean_improvement([r["size"] for r in final], [r["oz_size"] for r in final]), 4
        )
        summary["programs_improved_over_oz"] = sum(r["size"] < r["oz_size"] for r in final)
        summary["programs_tuned"] = len(final)
        summary["share_improved"] = round(summary["programs_improved_over_oz"] / len(final), 4) if final else None
        summary["own_list_improvement_over_oz_geomean"] = round(
            geomean_improvement([r["size"] for r in rows], [r["oz_size"] for r in rows]), 4
        )
    summary["wall_s"] = round(time.time() - t0, 1)
    write_json(out / "summary.json", summary)
    return summary


def _broadcast_and_finish(
    a: PassListsArguments,
    rows: list[dict[str, Any]],
    catalogue: dict[str, Any],
    tc: Any,
    executor: Any,
    out: Path,
    tqdm: Any,
    evals: Counter,
) -> dict[str, Any]:
    """Broadcast the most frequent winning lists, validate adoptions, write ``tuning.jsonl`` rows."""
    from ..compiler_data.passes import evaluate_pass_list, pipeline_text
    from ..compiler_data.tuning import tuning_answer, tuning_prompt, validate_pass_list
    from ..jsonl import write_jsonl
    from ..scoring.execution import TestCase

    validated = [r for r in rows if r["validation"] in ("valid", "compiler_crash", "behaviour_changed")]
    rejected = [r for r in validated if r["validation"] != "valid"]
    usable = [r for r in rows if r["validation"] in (None, "valid", "no_tests", "reference_failed")]
    freq = Counter(tuple(r["passes"]) for r in usable if r["passes"])
    top = [list(k) for k, _ in freq.most_common(a.broadcast_top)]
    adopted = 0
    broadcast_rejected = 0
    final_rows = []

    def finish(r: dict[str, Any]) -> tuple[dict[str, Any], int, int]:
        best, best_size, took, rej = r["passes"], r["size"], 0, 0
        if r["validation"] in ("compiler_crash", "behaviour_changed"):
            best, best_size = ["default<Oz>"], r["oz_size"]  # the own list was rejected: fall back to -Oz
        for lst in top:
            res = evaluate_pass_list(r["input_ir"], lst, catalogue, tc, a.timeout_s, keep_ir=False)
            evals["n"] += 1
            if res.size is None or res.size.binary_size >= best_size:
                continue
            tests = [TestCase(t["input"], t["output"]) for t in r["tests"]]
            if executor is not None and tests:
                incs = (r["include_dir"],) if r.get("include_dir") else ()
                v = validate_pass_list(
                    r["source"], r["language"], r["input_ir"], lst, catalogue, tc, tests, executor, incs
                ).verdict
                if v in ("compiler_crash", "behaviour_changed"):
                    rej += 1
                    continue
            best, best_size, took = lst, res.size.binary_size, 1
        final = evaluate_pass_list(r["input_ir"], best, catalogue, tc, a.timeout_s)
        base = evaluate_pass_list(r["input_ir"], [], catalogue, tc, a.timeout_s, keep_ir=False)
        evals["n"] += 2
        size = final.size.binary_size if final.size else best_size
        in_ic = base.size.instructions if base.size else 0
        out_ic = final.size.instructions if final.size else 0
        row = {
            "id": r["id"],
            "problem_id": r["problem_id"],
            "language": r["language"],
            "input_ir": r["input_ir"],
            "passes": best,
            "pass_text": pipeline_text(best, catalogue) if best else "",
            "size": size,
            "oz_size": r["oz_size"],
            "unoptimised_size": r["unoptimised_size"],
            "improvement_over_oz": round(1 - size / r["oz_size"], 4) if r["oz_size"] else None,
            "input_instructions": in_ic,
            "output_instructions": out_ic,
            "own_list": r["passes"],
            "own_size": r["size"],
            "validation": r["validation"],
            "broadcast": bool(took),
            "llvm_version": tc.version,
            "prompt": tuning_prompt(r["input_ir"]),
            "answer": tuning_answer(best, catalogue, in_ic, out_ic, r["oz_size"], size),
        }
        return row, took, rej

    with ThreadPoolExecutor(max_workers=a.workers) as pool:
        for row, took, rej in tqdm(pool.map(finish, rows), total=len(rows), desc="broadcast", unit="program"):
            final_rows.append(row)
            adopted += took
            broadcast_rejected += rej
    write_jsonl(out / "tuning.jsonl", final_rows)
    return {
        "validation": dict(Counter(r["validation"] or "not_run" for r in rows)),
        "rejection_rate": round(len(rejected) / len(validated), 4) if validated else None,
        "broadcast_lists": [pipeline_text(t, catalogue) for t in top],
        "broadcast_adopted": adopted,
        "broadcast_rejected_by_validation": broadcast_rejected,
    }
