"""Typed option groups, one per concern, shared by every stage that needs them.

* :class:`CorpusOptions`: which programs, how they are split and masked;
* :class:`CompileOptions`: the g++ judge's policy, limits and speed-ups;
* :class:`TestOptions`: running programs on their sample tests (pass@1);
* :class:`GenerationOptions`: the generation backend (vLLM or transformers) and its engine;
* :class:`ExecutorOptions`: where sampling and judging run (this process, or a Ray cluster);
* the model, sampling and pair groups: :mod:`cfdpo.stages.model_configs`.

A command's arguments class inherits the groups it uses (``evaluate``: all but sampling and pairs;
``build-prefs``, ``pipeline`` and ``loop``: all; ``sft``: corpus and compile, for its corpus
prompts), so a YAML key or flag of a group
means the same everywhere. A stage that starts another stage hands a group over
whole with :func:`group_values` (every field of the group, never a hand-picked
list), so an option cannot be dropped on the way; ``tests/test_configs.py``
checks that every field of every group reaches each stage.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:
    from ..scoring.compile import CompileScorer

__all__ = [
    "CompileOptions",
    "CorpusOptions",
    "ExecutorOptions",
    "GenerationOptions",
    "TestOptions",
    "group_values",
    "refuse_non_defaults",
]

#: the choices of the option groups, as types: ``--help`` lists them and the parser refuses others before any
#: work; each equals the constant of the module that owns it (``tests/test_configs.py`` checks)
Split = Literal["train", "test", "validation"]
Holdout = Literal["programs", "problems"]
MaskMode = Literal["chars", "lines"]
PromptFormat = Literal["raw", "chat"]
CompileMode = Literal["link", "object", "syntax"]
WarningPolicy = Literal["error", "allow"]
Isolation = Literal["auto", "bwrap", "rlimits"]
Backend = Literal["auto", "vllm", "hf"]
VLLMDtype = Literal["auto", "bfloat16", "float16", "float32"]
Executor = Literal["local", "ray"]
Pairs = Literal["paper", "graded", "graded+synthetic"]


def _default_data() -> str:
    from ..corpus.codenet import sample_corpus_path

    return str(sample_corpus_path())


@dataclass
class CorpusOptions:
    """Which corpus programs, their split and their masking (YAML keys = these field names)."""

    data: str = field(
        default_factory=_default_data, metadata={"help": "CodeNet-layout corpus root (default: the bundled sample)."}
    )
    split: Split = field(
        default="test",
        metadata={"help": "Split to use: train, test or validation (the problems set aside by --validation_problems)."},
    )
    train_per_problem: int = field(default=5, metadata={"help": "Train programs per problem (paper: 5)."})
    test_per_problem: int = field(default=2, metadata={"help": "Test programs per problem (paper: 2)."})
    limit: int | None = field(default=None, metadata={"help": "Use at most this many programs of the split."})
    skip: int = field(
        default=0,
        metadata={
            "help": "Leave out the split's first this many programs (in its fixed order) before --limit: disjoint "
            "slices of one split (e.g. fresh train programs for each on-policy round)."
        },
    )
    max_program_chars: int | None = field(
        default=None, metadata={"help": "Skip corpus programs longer than this many characters (long prompts are slow on a CPU)."}
    )
    require_tests: bool = field(default=False, metadata={"help": "Use only problems that have sample tests."})
    holdout: Holdout = field(
        default="programs",
        metadata={
            "help": "programs: the paper's split (5 train / 2 test programs of every problem: test programs share "
            "problems with training); problems: whole problems are held out (2 of 7), no problem in both."
        },
    )
    validation_problems: int = field(
        default=0,
        metadata={
            "help": "Set aside the last this many train problems (sorted ids) as the validation split: none of "
            "their programs is trained on or tested; cfdpo loop reports every round on it (best_round)."
        },
    )
    compile_check: bool = field(default=True, metadata={"help": "Drop corpus programs that do not compile cleanly."})
    mask_ratio: float = field(default=0.1, metadata={"help": "Fraction of characters masked from the end (paper: 0.1)."})
    mask_mode: MaskMode = field(default="chars", metadata={"help": "chars (paper) or lines."})
    prompt_format: PromptFormat = field(default="raw", metadata={"help": "raw (continue the code) or chat (fenced answer)."})

    def check_corpus_options(self) -> None:
        """Raises :class:`~cfdpo.errors.OptionError` for a value out of range."""
        from ..corpus.codenet import HOLDOUTS
        from ..corpus.masking import MASK_MODES
        from ..corpus.prompts import PROMPT_FORMATS
        from ..errors import OptionError
        from ..options import at_least, choice, in_range

        choice("split", self.split, get_args(Split))
        choice("holdout", self.holdout, HOLDOUTS)
        at_least("train_per_problem", self.train_per_problem, 0)
        at_least("test_per_problem", self.test_per_problem, 0)
        quota = "test" if self.split == "test" else "train"
        at_least(f"{quota}_per_problem", getattr(self, f"{quota}_per_problem"), 1)
        at_least("validation_problems", self.validation_problems, 0)
        if self.split == "validation" and not self.validation_problems:
            raise OptionError("split", "validation needs --validation_problems N (the problems it is made of)")
        at_least("limit", self.limit, 1, optional=True)
        at_least("skip", self.skip, 0)
        at_least("max_program_chars", self.max_program_chars, 2, optional=True)
        in_range("mask_ratio", self.mask_ratio, 0, 1)
        choice("mask_mode", self.mask_mode, MASK_MODES)
        choice("prompt_format", self.prompt_format, PROMPT_FORMATS)


@dataclass
class CompileOptions:
    """The compile scorer's policy, limits and speed-ups (YAML keys = these field names)."""

    std: str = field(default="c++17", metadata={"help": "C++ standard passed as -std= (paper: c++17)."})
    compile_mode: CompileMode = field(default="link", metadata={"help": "link, object or syntax."})
    warnings: WarningPolicy = field(
        default="error", metadata={"help": "error: a compile with warnings is bad (paper); allow: only errors are bad."}
    )
    gxx_flags: str = field(default="", metadata={"help": "Extra g++ flags, space separated (e.g. '-Wall')."})
    compile_timeout_s: float = field(default=30.0, metadata={"help": "Wall-clock limit per compile, seconds."})
    compile_memory_mb: int = field(default=2048, metadata={"help": "Address-space limit per compile, MiB."})
    workers: int | None = field(default=None, metadata={"help": "Parallel compiles (default: CPU count)."})
    no_compile_cache: bool = field(default=False, metadata={"help": "Do not use the shared compile-result cache."})
    no_pch: bool = field(default=False, metadata={"help": "Do not compile against precompiled include preambles."})
    syntax_first: bool = field(
        default=False, metadata={"help": "Run -fsyntax-only first and stop on an error (fast when most fail)."}
    )
    no_fast_link: bool = field(
        default=False,
        metadata={
            "help": "Link with the default linker only (by default GNU gold links first and the default linker "
            "re-links whenever gold fails or prints anything, so verdicts and diagnostics are the same)."
        },
    )
    isolation: Isolation = field(
        default="auto",
        metadata={"help": "Sandbox for compiling and running: auto (bubblewrap namespaces when usable), bwrap or rlimits."},
    )

    def compile_scorer(self, max_stderr_chars: int = 4000) -> CompileScorer:
        """The :class:`~cfdpo.scoring.CompileScorer` these options describe (its policy goes into results):
        the shared result cache and PCH directory unless turned off."""
        from ..scoring.compile import CompileScorer
        from ..tempdirs import compile_cache_dir, pch_cache_dir

        return CompileScorer(
            std=self.std,
            mode=self.compile_mode,
            warnings=self.warnings,
            timeout_s=self.compile_timeout_s,
            memory_mb=self.compile_memory_mb,
            extra_flags=tuple(self.gxx_flags.split()),
            max_stderr_chars=max_stderr_chars,
            cache_dir=None if self.no_compile_cache else compile_cache_dir(),
            pch=not self.no_pch,
            pch_dir=pch_cache_dir() if not self.no_pch else None,
            syntax_first=self.syntax_first,
            isolation=self.isolation,
            fast_link=not self.no_fast_link,
        )

    def check_compile_options(self) -> None:
        """Raises :class:`~cfdpo.errors.OptionError` for a value out of range."""
        from ..options import at_least, choice, matches, positive
        from ..scoring.compile import CompileScorer
        from ..scoring.sandbox import Sandbox

        matches("std", self.std, r"(c|gnu)\+\+\w+", "a C++ standard such as c++17 or gnu++20")
        choice("compile_mode", self.compile_mode, CompileScorer.MODES)
        choice("warnings", self.warnings, CompileScorer.WARNING_POLICIES)
        positive("compile_timeout_s", self.compile_timeout_s)
        at_least("compile_memory_mb", self.compile_memory_mb, 64)
        at_least("workers", self.workers, 1, optional=True)
        choice("isolation", self.isolation, Sandbox.LEVELS)


@dataclass
class TestOptions:
    """Running compiled programs on their problem's sample tests (YAML keys = these field names)."""

    run_tests: bool = field(
        default=False,
        metadata={
            "help": "Run compiled completions on the problem's sample tests (executes model-written code in a "
            "sandbox; opt-in). Adds pass@1 and exec verdicts."
        },
    )
    time_limit_s: float = field(default=2.0, metadata={"help": "CPU seconds per test run (--run_tests)."})
    run_memory_mb: int = field(default=512, metadata={"help": "Address-space limit per test run, MiB."})
    float_tolerance: float | None = field(default=None, metadata={"help": "Compare float output tokens within this tolerance."})

    def check_test_options(self) -> None:
        """Raises :class:`~cfdpo.errors.OptionError` for a value out of range."""
        from ..options import at_least, positive

        positive("time_limit_s", self.time_limit_s)
        at_least("run_memory_mb", self.run_memory_mb, 16)
        at_least("float_tolerance", self.float_tolerance, 0, optional=True)


@dataclass
class GenerationOptions:
    """Which backend generates, and how its engine starts (YAML keys = these field names).

    Both backends render prompts, stop sequences and clean completions with the same code
    (:mod:`cfdpo.generation.stops`); see :mod:`cfdpo.generation.vllm_engine` for vLLM's facts.
    """

    backend: Backend = field(
        default="auto",
        metadata={
            "help": "vllm, hf (transformers) or auto: vLLM when it imports (3-4x faster on a CPU), else transformers; "
            "$CFDPO_AUTO_BACKEND overrides what auto picks."
        },
    )
    vllm_dtype: VLLMDtype = field(
        default="auto",
        metadata={
            "help": "vLLM weights dtype: auto (on a CPU float32 for greedy evaluations, whose verdicts then equal "
            "transformers', and bfloat16 for sampling; the model's own on CUDA), bfloat16, float16 or float32."
        },
    )
    vllm_memory: float | None = field(
        default=None,
        metadata={
            "help": "CUDA only: vLLM gpu_memory_utilization, the share of the GPU's memory for weights and KV cache "
            "(default 0.85). On a CPU see --vllm_kv_cache_gb."
        },
    )
    vllm_kv_cache_gb: float | None = field(
        default=None,
        metadata={
            "help": "CPU only: vLLM's KV cache in GiB (default: sized from the batch, 512 tokens a sequence and the "
            "model's context, capped by the NUMA node's free memory; checked before the engine starts)."
        },
    )
    vllm_compile: bool = field(
        default=False,
        metadata={"help": "Let vLLM torch.compile the model (and capture CUDA graphs): ~1 min more start-up, faster decoding."},
    )
    tensor_parallel_size: int = field(default=1, metadata={"help": "vLLM: GPUs to shard the model over."})

    def check_generation_options(self) -> None:
        """Raises :class:`~cfdpo.errors.OptionError` for a value out of range."""
        from ..generation.vllm_engine import BACKENDS
        from ..options import at_least, choice, in_range

        choice("backend", self.backend, BACKENDS)
        choice("vllm_dtype", self.vllm_dtype, get_args(VLLMDtype))
        if self.vllm_memory is not None:
            in_range("vllm_memory", self.vllm_memory, 0, 1, hi_open=False)
        if self.vllm_kv_cache_gb is not None:
            in_range("vllm_kv_cache_gb", self.vllm_kv_cache_gb, 0, 1 << 20)
        at_least("tensor_parallel_size", self.tensor_parallel_size, 1)

    def vllm_options(self, seed: int, sampling: bool = False, max_num_seqs: int = 256) -> Any:
        """The :class:`~cfdpo.generation.vllm_engine.VLLMOptions` these options describe, for sampling or
        (``sampling=False``) greedy decoding, with ``max_num_seqs`` sequences at once (batch x samples)."""
        from ..generation.vllm_engine import VLLMOptions

        return VLLMOptions(
            dtype=self.vllm_dtype,
            memory_utilization=self.vllm_memory,
            kv_cache_gib=self.vllm_kv_cache_gb,
            max_num_seqs=max(1, min(int(max_num_seqs), 1024)),
            enforce_eager=not self.vllm_compile,
            tensor_parallel_size=self.tensor_parallel_size,
            seed=seed,
            sampling=sampling,
        )


EXECUTORS: tuple[str, ...] = get_args(Executor)


@dataclass
class ExecutorOptions:
    """Where sampling and judging run (YAML keys = these field names): in this process, or spread over a Ray
    cluster (:mod:`cfdpo.stages.ray_sampling`) with one generation engine and one scorer actor on each node.
    Rows, files and the resume contract are the same either way."""

    executor: Executor = field(
        default="local",
        metadata={
            "help": "local (this process) or ray: batches go to one generation actor per Ray node, their rows to "
            "one scorer actor per node (--workers threads each); this process writes the rows in prompt order."
        },
    )
    ray_address: str | None = field(
        default=None,
        metadata={
            "help": "With --executor ray: the cluster to join (auto: the one `ray start` made on this machine; "
            "ray://host:10001 or host:6379); default: the cluster this process already joined, else a local one "
            "started for the run."
        },
    )
    ray_generators: int | None = field(
        default=None,
        metadata={"help": "With --executor ray: generation actors (default: one per node)."},
    )

    def check_executor_options(self) -> None:
        """Raises :class:`~cfdpo.errors.OptionError` for an unknown executor, a Ray option without
        ``--executor ray``, or ``--executor ray`` where Ray is not installed."""
        from ..errors import OptionError
        from ..options import at_least, choice

        choice("executor", self.executor, EXECUTORS)
        at_least("ray_generators", self.ray_generators, 1, optional=True)
        if self.executor != "ray":
            for name in ("ray_address", "ray_generators"):
                if getattr(self, name) is not None:
                    raise OptionError(name, "needs --executor ray")
            return
        import importlib.util

        if importlib.util.find_spec("ray") is None:
            raise OptionError("executor", "ray needs Ray installed: pip install 'cfdpo[ray]'")


TestOptions.__test__ = False  # type: ignore[attr-defined]  # not a pytest test class


def group_values(obj: Any, group: type) -> dict[str, Any]:
    """Every field of the option group ``group`` (a dataclass that ``obj`` inherits), with ``obj``'s values:
    hand a group over whole, e.g. ``EvaluateArguments(**group_values(p, CorpusOptions), ...)``.

    Raises:
        TypeError: ``obj`` is not an instance of ``group``.
    """
    if not isinstance(obj, group):
        raise TypeError(f"{type(obj).__name__} does not carry the {group.__name__} options")
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(group)}


def refuse_non_defaults(obj: Any, groups: tuple[type, ...], why: str, allow: tuple[str, ...] = ()) -> None:
    """Refuse any option of ``groups`` (but those in ``allow``) that ``obj`` sets away from its default:
    it would be ignored.

    Raises:
        OptionError: naming the first such option and ``why`` it has no effect.
    """
    from ..errors import OptionError

    names = {f.name for g in groups for f in dataclasses.fields(g)} - set(allow)
    for f in dataclasses.fields(type(obj)):  # the defaults as the command declares them
        if f.name not in names:
            continue
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        if getattr(obj, f.name) != default:
            raise OptionError(f.name, f"has no effect here: {why}")
