"""What ``sft`` and ``dpo`` share: data arguments, datasets, run records, resuming from checkpoints."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .configs import CompileOptions, CorpusOptions, Split, group_values, refuse_non_defaults

log = logging.getLogger(__name__)

__all__ = [
    "TrainDataArguments",
    "check_training_args",
    "corpus_prompts",
    "last_checkpoint",
    "load_jsonl_dataset",
    "record_run",
    "sft_rows",
    "train_and_save",
    "training_run",
]


@dataclass
class TrainDataArguments(CorpusOptions, CompileOptions):
    """Where training data comes from (YAML keys = these field names): ``--train_file``, or the masked
    corpus (the corpus and compile option groups of :mod:`cfdpo.stages.configs`, the same as evaluate's)."""

    train_file: str | None = field(
        default=None,
        metadata={
            "help": "A JSONL file or run directory instead of --data: prompt/completion rows for SFT "
            "(e.g. IR pairs), preferences.jsonl (or a build-prefs run dir) for DPO."
        },
    )
    split: Split = field(default="train", metadata={"help": "Corpus split to train on."})
    adapter: str | None = field(
        default=None, metadata={"help": "An existing LoRA adapter to continue from (e.g. the SFT adapter for DPO)."}
    )
    use_unsloth: bool = field(default=True, metadata={"help": "Use unsloth when installed and CUDA is present."})

    def __post_init__(self) -> None:
        """Check every value before any work (raises :class:`~cfdpo.errors.OptionError`)."""
        self.check_corpus_options()
        self.check_compile_options()

    def refuse_corpus_options(self, command: str, allow: tuple[str, ...] = ("limit",)) -> None:
        """Refuse corpus and compile options when rows come from ``--train_file`` (they would be ignored);
        ``limit`` (rows used) and what ``allow`` names still apply.

        Raises:
            OptionError: naming the first such option.
        """
        refuse_non_defaults(
            self, (CorpusOptions, CompileOptions), f"cfdpo {command} reads its rows from --train_file, not from a corpus", allow
        )


def corpus_prompts(d: TrainDataArguments, seed: int, out: Path) -> list[dict[str, Any]]:
    """The masked prompt rows of ``d``'s corpus split (``prompts.jsonl`` rows, reused from ``out`` when there)."""
    from .common import CommonArguments, make_scorer
    from .prompts import prepare_prompts

    common = CommonArguments(out=str(out), seed=seed, **group_values(d, CorpusOptions), **group_values(d, CompileOptions))
    return prepare_prompts(common, make_scorer(common), out)


def check_training_args(*configs: Any) -> None:
    """Range checks for the TRL/transformers training options that they leave unchecked.

    Raises:
        OptionError: learning rate not > 0, batch size, steps or epochs out of range, a negative weight decay;
            a DPO loss option of TRL's that cfdpo's own losses would silently ignore (:data:`DPO_IGNORED`).
    """
    import dataclasses

    from ..errors import OptionError
    from ..options import at_least, in_range, positive

    for c in configs:
        if hasattr(c, "learning_rate"):
            positive("learning_rate", c.learning_rate)
            at_least("per_device_train_batch_size", c.per_device_train_batch_size, 1)
            at_least("gradient_accumulation_steps", c.gradient_accumulation_steps, 1)
            at_least("weight_decay", c.weight_decay, 0)
            if c.max_steps is not None and c.max_steps != -1:
                at_least("max_steps", c.max_steps, 1)
            positive("num_train_epochs", c.num_train_epochs)
            if getattr(c, "max_length", None) is not None:
                at_least("max_length", c.max_length, 8)
        if hasattr(c, "beta") and hasattr(c, "loss_type"):
            if type(c).__name__ == "GRPOConfig":  # GRPO's KL weight: 0 (TRL's default) means no reference model
                at_least("beta", c.beta, 0)
                at_least("num_generations", c.num_generations, 2, optional=True)
            else:
                positive("beta", c.beta)
        if hasattr(c, "lora_r") and getattr(c, "use_peft", False):
            at_least("lora_r", c.lora_r, 1)
        if type(c).__name__ == "DPOConfig":
            loss = dpo_loss_name(c.loss_type)
            in_range("label_smoothing", c.label_smoothing, 0, 0.5, lo_open=False)
            if c.label_smoothing and loss != "sigmoid":
                raise OptionError("label_smoothing", f"applies to loss_type sigmoid only, got loss_type {loss}")
            defaults = {
                f.name: (
                    f.default_factory()
                    if f.default_factory is not dataclasses.MISSING  # type: ignore[misc]
                    else f.default
                )
                for f in dataclasses.fields(c)
                if f.name in DPO_IGNORED
            }
            for name, default in defaults.items():
                if getattr(c, name) != default:
                    raise OptionError(
                        name,
                        f"is not used by cfdpo dpo, whose loss is --loss_type sigmoid|dpop "
                        f"(--label_smoothing, --dpop_lambda); got {getattr(c, name)!r}",
                    )


def dpo_loss_name(loss_type: Any, option: str = "loss_type") -> str:
    """The one loss DPOConfig's ``loss_type`` (a name or TRL's list of names) asks for, a loss cfdpo computes
    itself (:data:`cfdpo.training.losses.LOSSES`): ``sigmoid`` (DPO, Rafailov et al. 2023) or ``dpop``
    (DPO-Positive, Pal et al. 2024, eq. 3).

    Raises:
        OptionError: another loss, or several (TRL's weighted combinations are TRL's own losses).
    """
    from ..errors import OptionError
    from ..training.losses import LOSSES

    names = [loss_type] if isinstance(loss_type, str) else list(loss_type or [])
    if len(names) != 1 or names[0] not in LOSSES:
        raise OptionError(option, f"must be sigmoid (DPO) or dpop (DPO-Positive), cfdpo's own losses; got {loss_type!r}")
    return str(names[0])


#: TRL DPOConfig options that only TRL's own loss reads: cfdpo's PreferenceTrainer computes its loss itself
#: (:mod:`cfdpo.training.losses`), so these are refused rather than silently ignored
DPO_IGNORED = (
    "loss_weights",
    "ld_alpha",
    "f_divergence_type",
    "f_alpha_divergence_coef",
    "use_weighting",
    "discopop_tau",
    "use_liger_kernel",
)


def load_jsonl_dataset(path: str, kind: str, default_name: str) -> Any:
    """Load a JSONL file (or ``DIR/default_name``) as a Dataset, its rows checked against the schema ``kind``
    (:data:`cfdpo.schemas.SCHEMAS`: ``sft_rows``, ``preferences``, ...).

    Raises:
        InputError: no such file; a line that is not a JSON object (``file:line``); no rows; a row
            without a required field or with a field of the wrong type (``file:line``).
    """
    import datasets

    from ..errors import InputError
    from ..schemas import read_rows

    p = Path(path)
    if p.is_dir():
        p = p / default_name
    if not p.is_file():
        raise InputError(f"--train_file {p}: no such file")
    rows = read_rows(kind, p)
    if not rows:
        raise InputError(f"{p}: no rows (an empty train file)")
    return datasets.Dataset.from_list(rows)


def sft_rows(d: TrainDataArguments, seed: int, out: Path, tokenizer: Any) -> Any:
    """The SFT dataset (TRL prompt-completion format: ``prompt``, ``completion``).

    From ``train_file`` when given, else the masked corpus: the prompt is the
    model input (rendered chat text in ``chat`` format) and the completion the
    reference remainder (fenced in ``chat`` format).
    """
    import datasets

    from ..corpus.prompts import format_answer, render_prompt

    if d.train_file:
        d.refuse_corpus_options("sft")
        ds = load_jsonl_dataset(d.train_file, "sft_rows", "train.jsonl")
        return ds.select(range(min(d.limit, len(ds)))) if d.limit else ds
    rows = corpus_prompts(d, seed, out)
    return datasets.Dataset.from_list(
        [
            {
                "prompt": render_prompt(r["prompt"], d.prompt_format, tokenizer),
                "completion": format_answer(r["reference_completion"], d.prompt_format),
            }
            for r in rows
        ]
    )


@contextmanager
def training_run(data_args: TrainDataArguments, train_args: Any, model_args: Any) -> Iterator[Path]:
    """What every trainer stage (sft, dpo, kto, grpo) does first: check the model and adapter, set torch's
    threads, seed every RNG with ``train_args.seed`` (the adapter's initial weights are drawn before the
    trainer seeds, so without this they depend on what the process did before), open the output directory (undone on bad input, see :func:`cfdpo.runinfo.run_directory`) and turn off, in
    ``train_args`` itself, what a CPU cannot do (:func:`cfdpo.training.models.cpu_safe_args`). Yields the
    output directory. A vLLM engine kept alive by an earlier generation in this process is shut down first:
    training needs its memory."""
    from ..generation.models import set_torch_threads
    from ..generation.vllm_engine import release_engine
    from ..model_files import check_model
    from ..runinfo import run_directory
    from ..training.models import cpu_safe_args

    check_model(model_args.model_name_or_path, data_args.adapter, option="--model_name_or_path")
    release_engine()
    set_torch_threads()
    from transformers import set_seed

    set_seed(train_args.seed)
    with run_directory(train_args.output_dir) as out:
        cpu_safe_args(train_args)
        yield out


def train_and_save(trainer: Any, tokenizer: Any, out: Path) -> None:
    """Train (resuming from the last checkpoint in ``out`` when there is one), then save the adapter, the
    tokenizer and ``trainer_state.json`` (every logged loss and metric) into ``out``."""
    trainer.train(resume_from_checkpoint=last_checkpoint(str(out)))
    trainer.save_model(str(out))
    trainer.save_state()
    tokenizer.save_pretrained(str(out))


def last_checkpoint(output_dir: str) -> str | None:
    """The newest ``checkpoint-N`` directory of an interrupted run, to resume from."""
    from transformers.trainer_utils import get_last_checkpoint

    return get_last_checkpoint(output_dir) if Path(output_dir).is_dir() else None


def record_run(out: Path, *configs: Any) -> None:
    """Write run_config.json: every config dataclass, resolved, plus the environment."""
    from ..runinfo import environment_info, write_json
    from ..schemas import SCHEMA_VERSION

    resolved: dict[str, Any] = {}
    for c in configs:
        try:
            d = c.to_dict()  # TrainingArguments hides tokens and serialises enums
        except AttributeError:
            d = asdict(c)
        resolved[type(c).__name__] = d
    write_json(out / "run_config.json", {"config": resolved, "schema_version": SCHEMA_VERSION, "environment": environment_info()})
