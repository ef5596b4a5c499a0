"""The compiler as a reward: cfdpo's judge for online RL (TRL ``GRPOTrainer`` ``reward_funcs``), torch-free.

    from cfdpo.rewards import compile_reward, graded_reward, test_reward
    GRPOTrainer(..., reward_funcs=[graded_reward])          # default settings
    reward = RewardConfig(warnings="allow", workers=8).graded()   # configured

Each reward has TRL's signature, ``reward(prompts, completions, **dataset_columns) -> list[float | None]``:
``prompts`` are the dataset's prompts, ``completions`` the sampled texts (or, in TRL's conversational
format, lists of messages: the last message's content is used), and every other dataset column arrives
as a keyword argument with one value per sample. The program judged is the evaluation's own: for raw
prompts ``prompt + clean_completion(prompt, completion)`` (cut at a ```` ``` ```` fence and where the
braces balance, :func:`cfdpo.corpus.prompts.clean_completion`); for conversational prompts the masked
program must be given in a ``program`` column (``None`` is returned for a sample without one: the reward
does not apply). Tests come from a ``tests`` column (a list, or its JSON, of ``{"input", "output"}``) or
``sample_input`` / ``sample_output``; without tests a reward judges compiling only.

* :func:`compile_reward`: 1.0 when the program is ``good`` under the warnings policy, else 0.0.
* :func:`test_reward`: the fraction of its tests passed (0.0 when it does not build, or is not ``good``);
  ``None`` for a sample without tests.
* :func:`graded_reward`, one layered scale (:func:`graded_score`):

  ======================================  =============================================================
  tier                                    reward
  ======================================  =============================================================
  compile timeout / resource limit        0.0 (a compile bomb earns nothing)
  unfinished program (input ends early)   0.0 (``expected '}' at end of input``: the cap cut it off)
  compile error                           0.05 + 0.10 x progress + 0.10 / errors, in (0.05, 0.25]
  warning the policy counts as failure    0.4
  compiles (good), tests not passed       0.6; with tests: 0.6 + 0.3 x fraction passed (< 0.9)
  passes all its tests                    1.0 (no tests: compiling is the top, 1.0)
  ======================================  =============================================================

  ``progress`` is how far into the completion the first error sits (0 at its first line, 1 at its last;
  errors in the prompt's own lines count 0), so a completion that goes wrong late earns more than one
  that goes wrong at once; fewer errors earn more. Why layers: a binary compile reward gives no gradient
  among the many failing samples of a small model, and a flat penalty for any failure (open-r1's -0.1)
  throws away what g++ says; layered rewards beat binary ones for code (arXiv 2605.07276). Every tier is
  tested on real g++ output (``tests/test_rewards.py``).

One :class:`Judge` per configuration is kept and reused across calls: the compile scorer (PCH, fast link,
the content-hash compile cache), the execution sandbox, a thread pool of ``workers``; limits per program
(compile timeout, CPU and wall time per test) and per batch (``batch_timeout_s``: what has not finished
then scores 0.0, and its processes are killed by their own limits). Rewards log their breakdown (compile
rate, verdicts, error kinds, timeouts) through TRL's ``log_metric`` hook when it is given.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from typing import Any

from ..corpus.prompts import clean_completion
from ..scoring import CompileResult, CompileScorer, Verdict
from ..scoring.diagnostics import error_kind
from ..scoring.execution import ExecutionResult, ExecutionScorer, TestCase, row_tests

__all__ = ["Judge", "Judgement", "RewardConfig", "compile_reward", "graded_reward", "graded_score", "test_reward"]

log = logging.getLogger(__name__)

#: GCC's message when the input ended inside a construct: the program was cut off (an unfinished completion)
_UNFINISHED = ("at end of input",)


@dataclass(frozen=True)
class RewardConfig:
    """How the reward judges (scorer policy, isolation, limits, parallelism); hashable, one :class:`Judge` each.

    Attributes:
        std, warnings, compile_mode, extra_flags: the compile policy (see :class:`~cfdpo.scoring.CompileScorer`).
        compile_timeout_s, compile_memory_mb: limits per compile.
        isolation: ``auto`` (bubblewrap; refuses to run tests without it), ``bwrap`` or ``rlimits``.
        time_limit_s, run_memory_mb: limits per test run (CPU seconds; wall clock ``2 x + 1``).
        workers: programs judged at once (threads; each compile or run is its own process).
        batch_timeout_s: wall-clock limit for one call; unfinished samples score 0.0 (None: no batch limit).
        run_tests: run programs on their tests when a tests column is present.
        prompt_format: ``raw`` (program = prompt + completion) or ``chat`` (needs a ``program`` column).
        cache: use cfdpo's compile cache (``$CFDPO_CACHE/compile``).
        pch, fast_link, syntax_first: the scorer's speed-ups (none changes a verdict; see
            :class:`~cfdpo.scoring.CompileScorer`).
        hint_rechecks: rebuild without the PCH a build whose diagnostics carry a spelling hint, so their text
            is plain g++'s word for word. Off by default: no reward reads a hint's text (verdicts, error
            counts, kinds and lines are the plain build's either way) and those rebuilds cost a fifth of
            the compile time on real samples.
        float_tolerance: compare float output tokens within this tolerance (None: exact tokens).
    """

    std: str = "c++17"
    warnings: str = "error"
    compile_mode: str = "link"
    extra_flags: tuple[str, ...] = ()
    compile_timeout_s: float = 10.0
    compile_memory_mb: int = 2048
    isolation: str = "auto"
    time_limit_s: float = 2.0
    run_memory_mb: int = 512
    workers: int = 4
    batch_timeout_s: float | None = 120.0
    run_tests: bool = True
    prompt_format: str = "raw"
    cache: bool = True
    pch: bool = True
    fast_link: bool = True
    syntax_first: bool = False
    hint_rechecks: bool = False
    float_tolerance: float | None = None

    def judge(self) -> Judge:
        """The :class:`Judge` for this configuration (made once per process and kept)."""
        with _LOCK:
            if self not in _JUDGES:
                _JUDGES[self] = Judge(self)
            return _JUDGES[self]

    def compile(self) -> Callable[..., list[float | None]]:
        """:func:`compile_reward` with this configuration."""
        return _named(lambda *a, **k: self.judge().rewards("compile", *a, **k), "compile_reward")

    def tests(self) -> Callable[..., list[float | None]]:
        """:func:`test_reward` with this configuration."""
        return _named(lambda *a, **k: self.judge().rewards("test", *a, **k), "test_reward")

    def graded(self) -> Callable[..., list[float | None]]:
        """:func:`graded_reward` with this configuration."""
        return _named(lambda *a, **k: self.judge().rewards("graded", *a, **k), "graded_reward")


def _named(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    fn.__name__ = name  # TRL logs each reward under its function's name
    return fn


@dataclass
class Judgement:
    """One sample judged: the compile result, the test result (None: not run) and its rewards."""

    applicable: bool
    compile: CompileResult | None = None
    execution: ExecutionResult | None = None
    tests: int = 0
    timed_out: bool = False
    completion_lines: tuple[int, int] = (0, 0)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def good(self) -> bool:
        return bool(self.compile is not None and self.compile.good)

    @property
    def fraction_passed(self) -> float:
        if self.execution is None or not self.tests:
            return 0.0
        return self.execution.passed / self.tests


def graded_score(j: Judgement) -> float:
    """The graded reward of a judged sample (the scale in the module docstring)."""
    if j.timed_out or j.compile is None:
        return 0.0
    v = j.compile.verdict
    if v in (Verdict.TIMEOUT, Verdict.RESOURCE_LIMIT, Verdict.INTERNAL_ERROR):
        return 0.0
    if v is Verdict.ERROR:
        errors = j.compile.errors
        if any(any(m in d.message for m in _UNFINISHED) for d in errors):
            return 0.0
        first, last = j.completion_lines
        lines = [d.line for d in errors if d.line]
        line = min(lines) if lines else first
        progress = 0.0 if last <= first else min(1.0, max(0.0, (line - first) / (last - first)))
        return round(0.05 + 0.10 * progress + 0.10 / max(1, len(errors)), 4)
    if not j.good:
        return 0.4  # compiled with warnings the policy counts as a failure
    if not j.tests or j.execution is None:
        return 1.0
    frac = j.fraction_passed
    return 1.0 if frac >= 1.0 else round(0.6 + 0.3 * frac, 4)


class Judge:
    """The reused judge behind the rewards: scorer, sandbox, pool (see the module docstring).

    Raises:
        SandboxRefused: ``isolation="auto"`` where bubblewrap cannot run (when tests are to be run).
    """

    def __init__(self, config: RewardConfig) -> None:
        self.config = config
        from ..tempdirs import compile_cache_dir, pch_cache_dir

        self.scorer = CompileScorer(
            std=config.std,
            mode=config.compile_mode,
            warnings=config.warnings,
            timeout_s=config.compile_timeout_s,
            memory_mb=config.compile_memory_mb,
            extra_flags=config.extra_flags,
            isolation=config.isolation,
            cache_dir=compile_cache_dir() if config.cache else None,
            max_stderr_chars=4000,
            pch=config.pch,
            pch_dir=pch_cache_dir() if config.pch else None,
            fast_link=config.fast_link,
            syntax_first=config.syntax_first,
            hint_rechecks=config.hint_rechecks,
        )
        self._executor: ExecutionScorer | None = None
        self.pool = ThreadPoolExecutor(max_workers=max(1, config.workers), thread_name_prefix="cfdpo-reward")

    @property
    def executor(self) -> ExecutionScorer:
        if self._executor is None:
            c = self.config
            self._executor = ExecutionScorer(
                self.scorer,
                time_limit_s=c.time_limit_s,
                memory_mb=c.run_memory_mb,
                isolation=c.isolation,
                float_tolerance=c.float_tolerance,
            )
        return self._executor

    def program(self, prompt: Any, completion: Any, program: str | None) -> tuple[str, tuple[int, int]] | None:
        """The program judged for one sample and the line span of its completion (1-based); None: not applicable."""
        text = completion[-1].get("content", "") if isinstance(completion, list) and completion else completion
        if not isinstance(text, str):
            return None
        base = program if program is not None else (prompt if isinstance(prompt, str) else None)
        if base is None:
            return None
        fmt = "chat" if self.config.prompt_format == "chat" or not isinstance(prompt, str) else "raw"
        comp, _ = clean_completion(base, text, fmt)
        first = base.count("\n") + 1
        return base + comp, (first, first + comp.count("\n"))

    def judge(self, prompts: Sequence[Any], completions: Sequence[Any], **columns: Any) -> list[Judgement]:
        """Judge a batch (TRL's arguments); within ``batch_timeout_s``, what is unfinished scores as timed out."""
        n = len(completions)
        programs = columns.get("program") or [None] * n
        tests = _tests_of(columns, n) if self.config.run_tests else [[] for _ in range(n)]
        out: list[Judgement] = []
        jobs = []
        for i in range(n):
            made = self.program(prompts[i] if i < len(prompts) else None, completions[i], programs[i])
            if made is None:
                out.append(Judgement(False))
                continue
            src, span = made
            j = Judgement(True, tests=len(tests[i]), completion_lines=span)
            out.append(j)
            jobs.append((j, src, tests[i]))
        deadline = None if self.config.batch_timeout_s is None else time.monotonic() + self.config.batch_timeout_s
        # identical samples (common in a GRPO group) are judged once
        unique = list(dict.fromkeys(src for _, src, _ in jobs))
        if self.scorer.pch is not None:  # the batch's shared preambles get their PCH at their first compile
            self.scorer.pch.expect([src for src in unique if self.scorer.cached(src) is None])
        futures: dict[Any, list[Judgement]] = {}
        keys: dict[tuple[str, str], Any] = {}
        for j, src, t in jobs:
            key = (src, json.dumps([(c.input, c.output) for c in t]))
            if key not in keys:
                keys[key] = self.pool.submit(self._one, src, t)
                futures[keys[key]] = []
            futures[keys[key]].append(j)
        done, pending = wait(futures, timeout=None if deadline is None else max(0.0, deadline - time.monotonic()))
        for f in done:
            for j in futures[f]:
                j.compile, j.execution = f.result()
        for f in pending:  # its compile or run ends by its own limit; the batch does not wait for it
            f.cancel()
            for j in futures[f]:
                j.timed_out = True
        return out

    def _one(self, src: str, tests: list[TestCase]) -> tuple[CompileResult, ExecutionResult | None]:
        """One sample: its compile result and, when it has tests and is good, their run, from one build."""
        if not tests:
            return self.scorer.score(src), None
        cached = self.scorer.cached(src)
        if cached is not None and not cached.good:
            return cached, None
        ex = self.executor.run(src, tests)  # builds once: score()'s verdict and the executable
        return ex.compile, (ex if ex.compile.good else None)

    def rewards(self, kind: str, prompts: Sequence[Any], completions: Sequence[Any], **kw: Any) -> list[float | None]:
        """The ``kind`` (``compile``, ``test`` or ``graded``) rewards of a batch, logging the breakdown."""
        log_metric = kw.pop("log_metric", None)
        scores, judged = self.scored(kind, prompts, completions, **kw)
        log_breakdown(kind, judged, scores, log_metric)
        return scores

    def scored(
        self, kind: str, prompts: Sequence[Any], completions: Sequence[Any], **kw: Any
    ) -> tuple[list[float | None], list[Judgement]]:
        """The ``kind`` rewards of a batch and its judgements (TRL's extra arguments are ignored)."""
        for k in ("completion_ids", "trainer_state", "log_extra", "environments", "log_metric"):
            kw.pop(k, None)
        judged = self.judge(prompts, completions, **kw)
        scores: list[float | None] = []
        for j in judged:
            if not j.applicable:
                scores.append(None)
            elif kind == "compile":
                scores.append(1.0 if j.good and not j.timed_out else 0.0)
            elif kind == "test":
                scores.append(None if not j.tests else (j.fraction_passed if j.good and not j.timed_out else 0.0))
            else:
                scores.append(graded_score(j))
        return scores, judged


def _tests_of(columns: dict[str, Any], n: int) -> list[list[TestCase]]:
    """Each sample's tests from the batch's columns (:func:`~cfdpo.scoring.execution.row_tests` per row)."""
    keys = [k for k in ("tests", "sample_input", "sample_output") if columns.get(k) is not None]
    return [row_tests({k: columns[k][i] for k in keys}) for i in range(n)]


def log_breakdown(
    kind: str, judged: list[Judgement], scores: list[float | None], log_metric: Callable[[str, float], None] | None
) -> None:
    """Log a batch's compile rate, timeouts and verdict shares (debug level) and hand them to TRL's metric
    hook ``log_metric(name, value)`` when given (``cfdpo/compile_rate``, ``cfdpo/timeouts``,
    ``cfdpo/verdict_<v>``)."""
    applicable = [j for j in judged if j.applicable]
    if not applicable:
        return
    verdicts = Counter("batch_timeout" if j.timed_out else (j.compile.verdict.value if j.compile else "none") for j in applicable)
    kinds: Counter = Counter(error_kind(d) for j in applicable if j.compile for d in j.compile.errors[:1])
    metrics = {
        "cfdpo/compile_rate": sum(j.good for j in applicable) / len(applicable),
        "cfdpo/timeouts": (verdicts["timeout"] + verdicts["batch_timeout"]) / len(applicable),
        **{f"cfdpo/verdict_{v}": c / len(applicable) for v, c in verdicts.items()},
    }
    log.debug("%s reward: %s; first error kinds %s", kind, metrics, dict(kinds.most_common(5)))
    if log_metric is not None:
        for name, value in metrics.items():
            log_metric(name, float(value))


_JUDGES: dict[RewardConfig, Judge] = {}
_LOCK = threading.Lock()
_DEFAULT = RewardConfig()


def compile_reward(prompts: Sequence[Any], completions: Sequence[Any], **kwargs: Any) -> list[float | None]:
    """1.0 when the completed program compiles under the warnings policy, else 0.0 (TRL ``reward_funcs``)."""
    return _DEFAULT.judge().rewards("compile", prompts, completions, **kwargs)


def test_reward(prompts: Sequence[Any], completions: Sequence[Any], **kwargs: Any) -> list[float | None]:
    """Fraction of the program's tests passed (0.0 when it does not compile; None without tests)."""
    return _DEFAULT.judge().rewards("test", prompts, completions, **kwargs)


test_reward.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def graded_reward(prompts: Sequence[Any], completions: Sequence[Any], **kwargs: Any) -> list[float | None]:
    """The layered reward of the module docstring, from g++'s verdict and diagnostics and the tests."""
    return _DEFAULT.judge().rewards("graded", prompts, completions, **kwargs)


def config_record(config: RewardConfig) -> dict[str, Any]:
    """The configuration as a JSON-ready dict (for a run's config)."""
    return asdict(config)
