"""What the sampling stages share: their arguments (:class:`CommonArguments`, the option groups of
:mod:`cfdpo.stages.configs` plus model and decoding), the scorer they describe and the generator they load.

The rest of a sampling run lives beside it: :mod:`~cfdpo.stages.prompts` (the corpus masked into
``prompts.jsonl``), :mod:`~cfdpo.stages.sampling` (resumable sampling and judging into ``samples.jsonl``),
:mod:`~cfdpo.stages.batch` (one batch, the same here and in Ray actors) and :mod:`~cfdpo.stages.records`
(run config, what a result records about how it was made).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import OptionError
from ..scoring import CompileScorer
from .configs import CompileOptions, CorpusOptions, ExecutorOptions, GenerationOptions, TestOptions
from .model_configs import ModelOptions

__all__ = ["CommonArguments", "compile_cache_dir", "engine_seqs", "load_generator", "make_scorer", "parse_shard"]

log = logging.getLogger(__name__)


@dataclass
class CommonArguments(CorpusOptions, CompileOptions, TestOptions, GenerationOptions, ExecutorOptions, ModelOptions):
    """Arguments shared by ``evaluate`` and ``build-prefs`` (YAML keys = these field names): the corpus,
    compile, test, generation and executor option groups (:mod:`cfdpo.stages.configs`), the model group
    (:mod:`cfdpo.stages.model_configs`) and the token budgets."""

    out: str = field(default="runs/run", metadata={"help": "Run directory (created; resumed when it exists)."})
    batch_size: int | None = field(
        default=None,
        metadata={
            "help": "Prompts per generation batch (default: 8 with transformers; 256 with vLLM, whose engine batches "
            "continuously)."
        },
    )
    max_new_tokens: int | None = field(
        default=None, metadata={"help": "Fixed token budget; default per prompt: 2x its reference's tokens + 16, at most 1024."}
    )
    shard: str = field(default="0/1", metadata={"help": "I/N: process the I-th of N contiguous shards (job arrays)."})
    max_prompt_tokens: int | None = field(
        default=None,
        metadata={
            "help": "Longest prompt given to the model, in tokens (default: the model's context minus the "
            "generation budget). Longer prompts follow --long_prompts."
        },
    )
    long_prompts: Literal["truncate", "skip"] = field(
        default="truncate",
        metadata={
            "help": "truncate: cut a long prompt from its start at a line boundary, keeping the lines just before "
            "the masked part (the full program is still what g++ judges); skip: leave it out, counted "
            "in results and listed in skipped.jsonl."
        },
    )

    def __post_init__(self) -> None:
        """Check every value before any work (raises :class:`~cfdpo.errors.OptionError`)."""
        from ..options import at_least, choice

        self.check_model_options()
        self.check_corpus_options()
        self.check_compile_options()
        self.check_test_options()
        self.check_generation_options()
        self.check_executor_options()
        at_least("batch_size", self.batch_size, 1, optional=True)
        at_least("max_new_tokens", self.max_new_tokens, 1, optional=True)
        try:
            parse_shard(self.shard)
        except ValueError as e:
            raise OptionError("shard", str(e).split(" ", 1)[1]) from None
        at_least("max_prompt_tokens", self.max_prompt_tokens, 16, optional=True)
        choice("long_prompts", self.long_prompts, ("truncate", "skip"))

    def generation_batch_size(self) -> int:
        """``batch_size``, or its default for the backend that will generate."""
        if self.batch_size:
            return self.batch_size
        from ..generation.vllm_engine import resolve_backend

        return 256 if resolve_backend(self.backend) == "vllm" else 8


def load_generator(args: Any, sampling: bool = False) -> tuple[Any, Any]:
    """``(model, tokenizer)`` for generation by ``args.backend`` (:class:`GenerationOptions`): a vLLM engine
    (kept alive across calls for the same model and options; ``sampling`` picks its dtype under ``auto``, see
    :func:`cfdpo.generation.vllm_engine.engine_dtype`) or a transformers model on ``args.device``.

    Raises:
        InputError: ``--backend vllm`` cannot be used here, or the model / adapter cannot be had.
    """
    from ..generation.models import load_model, set_torch_threads
    from ..generation.vllm_engine import load_vllm, resolve_backend

    set_torch_threads(args.threads)
    if resolve_backend(args.backend) == "vllm":
        return load_vllm(args.model, args.adapter, args.device, args.vllm_options(args.seed, sampling, engine_seqs(args)))
    return load_model(args.model, args.adapter, args.device)


def engine_seqs(args: Any) -> int:
    """Sequences a vLLM engine runs at once for these arguments: the batch times the samples per prompt."""
    return int(getattr(args, "batch_size", None) or 256) * int(getattr(args, "num_samples", None) or 1)


def make_scorer(args: CommonArguments) -> CompileScorer:
    """The compile scorer described by the arguments (its policy goes into results)."""
    return args.compile_scorer()


def compile_cache_dir() -> str:
    """The shared compile-result cache: ``$CFDPO_CACHE/compile`` (default ``~/.cache/cfdpo/compile``)."""
    from ..tempdirs import compile_cache_dir as where

    return where()


def parse_shard(spec: str) -> tuple[int, int]:
    """Parse ``I/N`` (0 <= I < N).

    Raises:
        ValueError: a malformed spec.
    """
    try:
        i, n = (int(x) for x in spec.split("/"))
    except ValueError as e:
        raise ValueError(f"--shard must look like I/N, got {spec!r}") from e
    if not (n >= 1 and 0 <= i < n):
        raise ValueError(f"--shard I/N needs 0 <= I < N, got {spec!r}")
    return i, n
