"""What ``sft`` and ``dpo`` share: data arguments, datasets, run records, resuming from checkpoints."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

__all__ = ["TrainDataArguments", "sft_rows", "load_jsonl_dataset", "last_checkpoint", "record_run"]


@dataclass
class TrainDataArguments:
    """Where training data comes from (YAML keys = these field names)."""

    data: str | None = field(default=None, metadata={
        "help": "CodeNet-layout corpus for SFT (masked train split); default: the bundled sample."})
    train_file: str | None = field(default=None, metadata={
        "help": "A JSONL file or run directory instead of --data: prompt/completion rows for SFT "
                "(e.g. IR pairs), preferences.jsonl (or a build-prefs run dir) for DPO."})
    split: str = field(default="train", metadata={"help": "Corpus split to train on."})
    limit: int | None = field(default=None, metadata={"help": "Use at most this many programs / pairs."})
    train_per_problem: int = field(default=5, metadata={"help": "Train programs per problem (paper: 5)."})
    test_per_problem: int = field(default=2, metadata={"help": "Test programs per problem (paper: 2)."})
    compile_check: bool = field(default=True, metadata={"help": "Drop corpus programs that do not compile."})
    mask_ratio: float = field(default=0.1, metadata={"help": "Fraction masked from the end (paper: 0.1)."})
    mask_mode: str = field(default="chars", metadata={"help": "chars or lines."})
    prompt_format: str = field(default="raw", metadata={"help": "raw or chat."})
    adapter: str | None = field(default=None, metadata={
        "help": "An existing LoRA adapter to continue from (e.g. the SFT adapter for DPO)."})
    use_unsloth: bool = field(default=True, metadata={"help": "Use unsloth when installed and CUDA is present."})


def _corpus_prompts(d: TrainDataArguments, seed: int, out: Path) -> list[dict[str, Any]]:
    from .common import CommonArguments, make_scorer, prepare_prompts

    common = CommonArguments(out=str(out), data=d.data or CommonArguments().data, split=d.split, limit=d.limit,
                             train_per_problem=d.train_per_problem, test_per_problem=d.test_per_problem,
                             compile_check=d.compile_check, mask_ratio=d.mask_ratio, mask_mode=d.mask_mode,
                             prompt_format=d.prompt_format, seed=seed)
    return prepare_prompts(common, make_scorer(common), out)


def load_jsonl_dataset(path: str, required: tuple[str, ...], default_name: str) -> Any:
    """Load a JSONL file (or ``DIR/default_name``) as a Dataset and check its columns.

    Raises:
        FileNotFoundError: no such file.
        ValueError: missing columns, naming the file and the columns.
    """
    import datasets

    p = Path(path)
    if p.is_dir():
        p = p / default_name
    if not p.is_file():
        raise FileNotFoundError(f"{p}: no such file")
    ds = datasets.load_dataset("json", data_files=str(p), split="train")
    missing = [c for c in required if c not in ds.column_names]
    if missing:
        raise ValueError(f"{p}: missing column(s) {missing}; has {ds.column_names}")
    return ds


def sft_rows(d: TrainDataArguments, seed: int, out: Path, tokenizer: Any) -> Any:
    """The SFT dataset (TRL prompt-completion format: ``prompt``, ``completion``).

    From ``train_file`` when given, else the masked corpus: the prompt is the
    model input (rendered chat text in ``chat`` format) and the completion the
    reference remainder (fenced in ``chat`` format).
    """
    import datasets

    from ..corpus.prompts import format_answer, render_prompt

    if d.train_file:
        ds = load_jsonl_dataset(d.train_file, ("prompt", "completion"), "train.jsonl")
        return ds.select(range(min(d.limit, len(ds)))) if d.limit else ds
    rows = _corpus_prompts(d, seed, out)
    return datasets.Dataset.from_list([
        {"prompt": render_prompt(r["prompt"], d.prompt_format, tokenizer),
         "completion": format_answer(r["reference_completion"], d.prompt_format)}
        for r in rows
    ])


def last_checkpoint(output_dir: str) -> str | None:
    """The newest ``checkpoint-N`` directory of an interrupted run, to resume from."""
    from transformers.trainer_utils import get_last_checkpoint

    return get_last_checkpoint(output_dir) if Path(output_dir).is_dir() else None


def record_run(out: Path, *configs: Any) -> None:
    """Write run_config.json: every config dataclass, resolved, plus the environment."""
    from ..runinfo import environment_info, write_json

    resolved: dict[str, Any] = {}
    for c in configs:
        try:
            d = c.to_dict()  # TrainingArguments hides tokens and serialises enums
        except AttributeError:
            d = asdict(c)
        resolved[type(c).__name__] = d
    write_json(out / "run_config.json", {"config": resolved, "environment": environment_info()})
