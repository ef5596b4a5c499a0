"""The model, sampling and pair option groups, beside the corpus, compile, test, generation and executor
groups of :mod:`cfdpo.stages.configs`:

* :class:`ModelOptions`: which model (and adapter) runs, on which device, with which seed and threads;
* :class:`SamplingOptions`: how many completions a prompt gets and how they are drawn;
* :class:`PairOptions`: how judged samples become (prompt, chosen, rejected) pairs.

A command's arguments inherit the groups they use and a stage that starts another hands each group over
whole with :func:`~cfdpo.stages.configs.group_values`; ``tests/test_configs.py`` checks every field of every
group on its way from the pipeline and the loop to evaluate and build-prefs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, get_args

from ..model_files import DEFAULT_MODEL
from .configs import Pairs

__all__ = ["PAIRS", "PAIRS_HELP", "ModelOptions", "PairOptions", "SamplingOptions", "model_values", "pair_policy"]

#: the preference-pair policies (build-prefs, pipeline, loop): the paper's, graded ranks, graded + synthetic negatives
PAIRS: tuple[str, ...] = get_args(Pairs)
PAIRS_HELP = (
    "paper (every bad sample against the reference), graded (ranks error < warning < ok < pass, pairs across "
    "ranks) or graded+synthetic (plus corrupted references g++ confirms bad); default: graded with --run_tests "
    "or a --chosen other than reference, else paper."
)


@dataclass
class ModelOptions:
    """The model that generates (YAML keys = these field names)."""

    model: str = field(
        default=DEFAULT_MODEL, metadata={"help": "HF model id or local path; default: the bundled SmolLM2-135M-Instruct."}
    )
    adapter: str | None = field(default=None, metadata={"help": "PEFT adapter directory to apply to --model."})
    seed: int = field(default=0, metadata={"help": "Seed for the split and for sampling (recorded with greedy decoding)."})
    device: str | None = field(default=None, metadata={"help": "cpu, cuda or cuda:N (default: cuda when available)."})
    threads: int | None = field(default=None, metadata={"help": "torch CPU threads (default: $CFDPO_THREADS or CPUs)."})

    def check_model_options(self) -> None:
        """Raises :class:`~cfdpo.errors.OptionError` for a value out of range."""
        from ..errors import OptionError
        from ..options import at_least, device

        if not self.model:
            raise OptionError("model", "must name a model (an HF id or a local directory)")
        device("device", self.device)
        at_least("threads", self.threads, 1, optional=True)


@dataclass
class SamplingOptions:
    """How a prompt's completions are sampled for pairs (YAML keys = these field names)."""

    num_samples: int = field(default=4, metadata={"help": "Sampled completions per prompt."})
    temperature: float = field(default=1.0, metadata={"help": "Sampling temperature."})
    top_p: float = field(default=0.95, metadata={"help": "Nucleus sampling mass."})

    def check_sampling_options(self) -> None:
        """Raises :class:`~cfdpo.errors.OptionError` for a value out of range."""
        from ..options import at_least, in_range, positive

        at_least("num_samples", self.num_samples, 1)
        positive("temperature", self.temperature)
        in_range("top_p", self.top_p, 0, 1, hi_open=False)


@dataclass
class PairOptions:
    """How judged samples become preference pairs (YAML keys = these field names)."""

    pairs: Pairs | None = field(default=None, metadata={"help": PAIRS_HELP})
    min_edit_distance: int = field(default=10, metadata={"help": "Drop pairs whose chosen/rejected differ by fewer characters."})
    max_pairs_per_prompt: int | None = field(default=None, metadata={"help": "Cap on pairs per prompt."})
    synthetic_per_prompt: int = field(
        default=2, metadata={"help": "Synthetic negatives per prompt, at most (pairs: graded+synthetic)."}
    )

    def check_pair_options(self, chosen: str = "reference") -> None:
        """Raises :class:`~cfdpo.errors.OptionError` for a value out of range or a policy that cannot be
        (see :func:`pair_policy`; ``chosen`` is the command's ``--chosen``)."""
        from ..options import at_least

        at_least("min_edit_distance", self.min_edit_distance, 0)
        at_least("max_pairs_per_prompt", self.max_pairs_per_prompt, 1, optional=True)
        at_least("synthetic_per_prompt", self.synthetic_per_prompt, 1)
        pair_policy(self.pairs, bool(getattr(self, "run_tests", False)), chosen)


def pair_policy(pairs: str | None, run_tests: bool, chosen: str = "reference") -> str:
    """The pair policy a run uses: ``pairs`` when given, else ``graded`` with tests or on-policy chosen sides,
    else the paper's.

    Raises:
        OptionError: ``pairs`` is not one of :data:`PAIRS`, or ``paper`` pairs with a ``chosen`` other than
            ``reference`` (the paper's pairs always choose the reference).
    """
    from ..errors import OptionError
    from ..options import choice

    if pairs is None:
        return "graded" if run_tests or chosen != "reference" else "paper"
    choice("pairs", pairs, PAIRS)
    if pairs == "paper" and chosen != "reference":
        raise OptionError("chosen", f"{chosen} needs graded pairs (--pairs graded): paper pairs choose the reference")
    return pairs


def model_values(obj: Any, adapter: str | None) -> dict[str, Any]:
    """The model group of ``obj`` whole, with a stage's own ``adapter``."""
    from .configs import group_values

    return {**group_values(obj, ModelOptions), "adapter": adapter}
