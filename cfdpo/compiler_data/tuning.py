"""Flag tuning and compiler emulation on opt pass lists (LLM Compiler style, new pass manager).

Cummins et al., "Meta Large Language Model Compiler" (2025), Sec. 3: random
search over pass lists, then minimisation (remove passes that do not help,
sort into a canonical order, insertion search; to a fixed point), then
validation by compiling and running test programs (rejecting lists that crash
the compiler or change results; ~10% in their runs), then broadcasting the most
frequent winning lists to every program. Binary size = .text + .data of the
object file (:func:`cfdpo.compiler_data.passes.code_size`).
"""

from __future__ import annotations

import logging
import math
import os
import random
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..scoring.limits import run_limited
from ..tempdirs import run_temp_root
from .llvm_ir import LLVMToolchain, clean_ir
from .passes import evaluate_pass_list, oz_size, pipeline_text

__all__ = [
    "TUNING_PROMPT",
    "SizeOracle",
    "Validation",
    "emulation_prompt",
    "geomean_improvement",
    "minimise",
    "random_pass_list",
    "tune_ir",
    "tuning_prompt",
    "validate_pass_list",
]

log = logging.getLogger(__name__)

#: LLM Compiler's flag-tuning instruction
TUNING_PROMPT = "Tell me how to optimize this LLVM-IR for object file size:"


def random_pass_list(rng: random.Random, catalogue: dict[str, Any], min_len: int = 1, max_len: int = 50) -> list[str]:
    """A pass list of uniform length in [min_len, max_len], passes drawn uniformly (with repeats) from the catalogue."""
    names = [p["name"] for p in catalogue["passes"]]
    return [rng.choice(names) for _ in range(rng.randint(min_len, max_len))]


class SizeOracle:
    """Memoised binary size of one module under pass lists (None for lists that crash or time out).

    Attributes:
        evaluations: opt + llc + llvm-size runs made (cache hits not counted).
        failures: failures by reason (``opt_crash``, ``opt_timeout``, ``llc_error``, ...).
    """

    def __init__(self, ir: str, catalogue: dict[str, Any], tc: LLVMToolchain, timeout_s: float = 60.0) -> None:
        self.ir, self.catalogue, self.tc, self.timeout_s = ir, catalogue, tc, timeout_s
        self._memo: dict[tuple[str, ...], tuple[int, int] | None] = {}
        self.evaluations = 0
        self.failures: Counter = Counter()

    def __call__(self, passes: Sequence[str]) -> int | None:
        r = self.measure(passes)
        return None if r is None else r[0]

    def measure(self, passes: Sequence[str]) -> tuple[int, int] | None:
        """``(binary_size, ir_instruction_count)`` after ``passes`` (None when it failed)."""
        key = tuple(passes)
        if key not in self._memo:
            self.evaluations += 1
            res = evaluate_pass_list(self.ir, list(key), self.catalogue, self.tc, self.timeout_s, keep_ir=False)
            if res.size is None:
                self.failures[res.failure] += 1
                self._memo[key] = None
            else:
                self._memo[key] = (res.size.binary_size, res.size.instructions)
        return self._memo[key]


def minimise(
    passes: Sequence[str],
    size_of: Callable[[Sequence[str]], int | None],
    catalogue: dict[str, Any],
    insertion_candidates: Sequence[str] = (),
    max_evals: int = 200,
    evals: Callable[[], int] | None = None,
) -> list[str]:
    """Shrink a pass list without making the binary larger, to a fixed point (LLM Compiler, Sec. 3.3).

    Each round: (1) drop every pass whose removal does not increase the size; (2) try the stable
    sort into the catalogue's order (kept when not larger, so equivalent lists meet in one canonical
    form, which makes counting winning lists meaningful); (3) insertion search: try each candidate pass
    at the front and at the end, kept only when it makes the binary strictly smaller. Stops when a
    round changes nothing or after ``max_evals`` evaluations (counted by ``evals`` when given).

    Returns:
        The minimised list; its size is never above the input's.
    """
    order = {p["name"]: i for i, p in enumerate(catalogue["passes"])}
    cur = list(passes)
    cur_size = size_of(cur)
    if cur_size is None:
        return cur
    start = evals() if evals else 0
    used = lambda: (evals() - start) if evals else 0

    changed = True
    while changed and used() < max_evals:
        changed = False
        i = len(cur) - 1
        while i >= 0 and used() < max_evals:  # from the end: later passes are more often redundant
            trial = cur[:i] + cur[i + 1 :]
            s = size_of(trial)
            if s is not None and s <= cur_size:
                cur, cur_size, changed = trial, s, True
            i -= 1
        canon = sorted(cur, key=lambda n: order.get(n, len(order)))
        if canon != cur:
            s = size_of(canon)
            if s is not None and s <= cur_size:
                cur, cur_size = canon, s
        for cand in insertion_candidates:
            if used() >= max_evals:
                break
            for trial in ([cand, *cur], [*cur, cand]):
                s = size_of(trial)
                if s is not None and s < cur_size:
                    cur, cur_size, changed = trial, s, True
                    break
        if not changed:
            break
    return cur


#: passes tried by the insertion search (frequent members of size-winning lists)
INSERTION_CANDIDATES = (
    "instcombine",
    "simplifycfg",
    "sroa",
    "mem2reg",
    "early-cse",
    "gvn",
    "dse",
    "adce",
    "globaldce",
    "inline",
    "ipsccp",
    "mergefunc",
    "deadargelim",
    "globalopt",
    "function-attrs",
    "jump-threading",
    "reassociate",
    "loop-deletion",
    "instsimplify",
    "sccp",
)


@dataclass
class TuneResult:
    """Outcome of tuning one module."""

    passes: list[str]
    size: int | None
    oz_size: int | None
    unoptimised_size: int | None
    random_best: list[str] = field(default_factory=list)
    random_best_size: int | None = None
    evaluations: int = 0
    failures: dict[str, int] = field(default_factory=dict)


def tune_ir(
    ir: str,
    catalogue: dict[str, Any],
    tc: LLVMToolchain,
    budget: int = 20,
    seed: int | str = 0,
    minimise_evals: int = 60,
    timeout_s: float = 60.0,
) -> TuneResult:
    """Random search (``budget`` lists) then minimisation of the best list, for one module.

    Ties are broken towards shorter lists. The -Oz baseline (``default<Oz>`` on the same IR) is measured
    beside it.
    """
    rng = random.Random(f"tune:{seed}")
    oracle = SizeOracle(ir, catalogue, tc, timeout_s)
    unopt = oracle([])
    oz = oz_size(ir, tc, timeout_s)
    best: list[str] = []
    best_size = unopt
    for _ in range(budget):
        lst = random_pass_list(rng, catalogue)
        s = oracle(lst)
        if s is None:
            continue
        if best_size is None or s < best_size or (s == best_size and len(lst) < len(best)):
            best, best_size = lst, s
    mini = minimise(best, oracle, catalogue, INSERTION_CANDIDATES, minimise_evals, lambda: oracle.evaluations)
    return TuneResult(
        mini, oracle(mini), oz.binary_size if oz else None, unopt, best, best_size, oracle.evaluations, dict(oracle.failures)
    )


def geomean_improvement(sizes: Sequence[int], baselines: Sequence[int]) -> float:
    """Geometric-mean size improvement over a baseline: ``1 - (prod size_i / base_i) ** (1/n)`` (0.071 = 7.1% smaller)."""
    pairs = [(s, b) for s, b in zip(sizes, baselines) if s and b]
    if not pairs:
        return 0.0
    return 1.0 - math.exp(sum(math.log(s / b) for s, b in pairs) / len(pairs))


# ---------------------------------------------------------------------------------------------- validation
@dataclass
class Validation:
    """Differential test of a pass list: ``valid`` or why it was rejected."""

    verdict: str  # valid | compiler_crash | behaviour_changed | reference_failed | no_tests
    detail: str = ""


def _build_reference(src_path: str, language: str, tc: LLVMToolchain, d: str, include_dirs: Sequence[str]) -> bool:
    from .llvm_ir import C_FLAGS, CXX_FLAGS

    cc, flags = (tc.clangxx, CXX_FLAGS) if language == "C++" else (tc.clang, C_FLAGS)
    out = run_limited(
        [
            cc,
            *flags,
            *(f"-I{i}" for i in include_dirs),
            "-O2",
            "-w",
            "-o",
            "prog",
            src_path,
            *(["-lm"] if language == "C" else []),
        ],
        d,
        120,
        4096,
    )
    return out.returncode == 0


def _build_candidate(ir: str, text: str, language: str, tc: LLVMToolchain, d: str) -> str:
    with open(os.path.join(d, "in.ll"), "w", encoding="utf-8") as f:
        f.write(ir)
    steps = [
        ([tc.opt, "-S", f"-passes={text}", "-o", "out.ll", "in.ll"] if text else ["cp", "in.ll", "out.ll"], "opt"),
        ([tc.llc, "-O2", "-relocation-model=pic", "-filetype=obj", "-o", "out.o", "out.ll"], "llc"),
        ([tc.clangxx if language == "C++" else tc.clang, "-o", "prog", "out.o", *(["-lm"] if language == "C" else [])], "link"),
    ]
    for cmd, name in steps:
        out = run_limited(cmd, d, 120, 4096)
        if out.returncode != 0:
            return f"{name} failed" + (" (timeout)" if out.timed_out else f": {out.stderr.strip()[:200]}")
    return ""


def validate_pass_list(
    source: str,
    language: str,
    ir: str,
    passes: Sequence[str],
    catalogue: dict[str, Any],
    tc: LLVMToolchain,
    tests: Sequence[Any],
    executor: Any,
    include_dirs: Sequence[str] = (),
    pipeline: str | None = None,
) -> Validation:
    """Build the program with the pass list (opt, llc -O2, link) and with ``clang -O2``; run both on ``tests``.

    The pass list is valid when it builds and every test gives the same verdict and output as the
    ``-O2`` build, which must itself pass the tests. Programs run under the execution scorer's sandbox
    and limits (:class:`~cfdpo.scoring.execution.ExecutionScorer`).

    Args:
        source, language: the program (``C++`` or ``C``).
        ir: its unoptimised IR (the module the pass list was tuned on).
        passes: the pass list (names from ``catalogue``).
        tests: :class:`~cfdpo.scoring.execution.TestCase` list (self-testing programs: input "" and output "").
        executor: an ``ExecutionScorer`` (its limits and sandbox are used).
        pipeline: pipeline text to run instead of ``passes`` (e.g. a model's answer; ``passes`` is ignored).
    """
    from ..scoring.execution import ExecVerdict

    if not tests:
        return Validation("no_tests")
    text = pipeline if pipeline is not None else (pipeline_text(list(passes), catalogue) if passes else "")
    tmp = tempfile.mkdtemp(prefix="cfdpo-validate-", dir=run_temp_root())
    try:
        ref_box, cand_box = os.path.join(tmp, "ref"), os.path.join(tmp, "cand")
        os.mkdir(ref_box)
        os.mkdir(cand_box)
        src_path = "prog.cpp" if language == "C++" else "prog.c"
        with open(os.path.join(ref_box, src_path), "w", encoding="utf-8") as f:
            f.write(source)
        if not _build_reference(src_path, language, tc, ref_box, include_dirs):
            return Validation("reference_failed", "the -O2 build failed")
        ref = executor.run_built(tmp, ref_box, tests)
        if not all(r.verdict is ExecVerdict.PASS for r in ref):
            return Validation("reference_failed", f"-O2 build: {[r.verdict.value for r in ref]}")
        why = _build_candidate(ir, text, language, tc, cand_box)
        if why:
            return Validation("compiler_crash", why)
        got = executor.run_built(tmp, cand_box, tests)
        if len(got) != len(ref) or any(g.verdict is not ExecVerdict.PASS or g.stdout != r.stdout for g, r in zip(got, ref)):
            return Validation("behaviour_changed", "; ".join(f"{g.verdict.value}" for g in got))
        return Validation("valid")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ------------------------------------------------------------------------------------------------ prompts
def tuning_prompt(ir: str) -> str:
    """LLM Compiler's flag-tuning prompt (Cummins et al. 2025, Listing 2 style)."""
    return f"[INST] {TUNING_PROMPT}\n<code>{ir}</code> [/INST]"


def tuning_answer(
    passes: Sequence[str],
    catalogue: dict[str, Any],
    in_ic: int,
    out_ic: int,
    oz: int | None,
    size: int | None,
    out_ir: str | None = None,
) -> str:
    """The flag-tuning answer: the pass list, instruction counts, binary sizes (and the optimised IR)."""
    text = pipeline_text(list(passes), catalogue) if passes else ""
    ans = (
        f"Run passes `-passes={text}` to reduce instruction count from {in_ic} to {out_ic} and binary size "
        f"to {size} bytes (-Oz: {oz} bytes)"
    )
    return ans + (f":\n<code>{out_ir}</code>" if out_ir else ".")


def emulation_prompt(ir: str, text: str) -> str:
    """LLM Compiler's compiler-emulation prompt: the input IR and the pass list to apply."""
    return (
        f"[INST] Give the LLVM-IR that `opt -passes={text}` produces for this LLVM-IR, "
        f"and its binary size:\n<code>{ir}</code> [/INST]"
    )


def tidy_ir(ir: str) -> str:
    """IR as evaluated and stored in rows: comments and debug metadata removed; target, module flags and
    attributes kept (passes and llc depend on them)."""
    return clean_ir(ir, ("debug", "comments"))
