"""``cfdpo dpo --config recipes/<model>/dpo.yaml --loss_type sigmoid|dpop [--dpop_lambda 50]``.

Preference training on a build-prefs dataset (``--train_file`` = preferences.jsonl
or its run directory) with TRL's DPOTrainer and cfdpo's losses: ``sigmoid``
(DPO, Rafailov et al. 2023) or ``dpop`` (DPO-Positive, Pal et al. 2024, eq. 3), named by TRL's own
DPOConfig ``loss_type`` (``label_smoothing`` for the sigmoid loss is TRL's too).
Starts from the base model (a new LoRA adapter; the reference is the model with
the adapter disabled) or from an SFT adapter (``--adapter``: training continues
on it and a frozen copy is the reference). ``--precompute_ref_log_probs true``
computes the reference log-probs once before training.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from .training_runs import TrainDataArguments, dpo_loss_name

log = logging.getLogger(__name__)


@dataclass
class PreferenceArguments:
    """cfdpo's own preference-loss options (the loss itself is DPOConfig's ``loss_type``)."""

    dpop_lambda: float = field(default=50.0, metadata={"help": "DPOP penalty weight λ (Pal et al. 2024, eq. 3; paper: 50)."})
    share_prompt: bool = field(
        default=True,
        metadata={
            "help": "Read each pair's shared prompt once (its keys and values serve both completions) and compute "
            "logits only where they are scored: the same log-probabilities, a cheaper step. false: the plain "
            "forward pass on every row (for a model that takes no past_key_values / logits_to_keep)."
        },
    )

    def __post_init__(self) -> None:
        """Check every value before any work (raises :class:`~cfdpo.errors.OptionError`)."""
        from ..options import at_least

        at_least("dpop_lambda", self.dpop_lambda, 0)


def loss_kwargs(pref: PreferenceArguments, train_args: Any) -> dict[str, Any]:
    """The keyword arguments of the loss ``train_args.loss_type`` names (DPOP's λ, or the sigmoid loss's
    label smoothing)."""
    if dpo_loss_name(train_args.loss_type) == "dpop":
        return {"lam": pref.dpop_lambda}
    return {"label_smoothing": float(train_args.label_smoothing)}


def run(data_args: TrainDataArguments, pref: PreferenceArguments, train_args: Any, model_args: Any) -> str:
    """Train and save the adapter; returns the output directory."""
    from ..training.models import load_for_training
    from ..training.trainer import PreferenceTrainer
    from .training_runs import load_jsonl_dataset, record_run, train_and_save, training_run

    if not data_args.train_file:
        raise ValueError("cfdpo dpo needs --train_file: a preferences.jsonl or a build-prefs run directory")
    data_args.refuse_corpus_options("dpo")
    loss = dpo_loss_name(train_args.loss_type)
    with training_run(data_args, train_args, model_args) as out:
        ds = load_jsonl_dataset(data_args.train_file, "preferences", "preferences.jsonl")
        if data_args.limit:
            ds = ds.select(range(min(data_args.limit, len(ds))))
        if len(ds) == 0:
            raise ValueError(f"{data_args.train_file}: no preference pairs")
        ds = ds.select_columns(["prompt", "chosen", "rejected"])
        model, tok, peft_cfg = load_for_training(
            model_args, data_args.adapter, train_args.max_length or 2048, data_args.use_unsloth
        )
        record_run(out, data_args, pref, train_args, model_args)
        trainer = PreferenceTrainer(
            model=model,
            args=train_args,
            train_dataset=ds,
            processing_class=tok,
            peft_config=peft_cfg,
            preference_loss=loss,
            loss_kwargs=loss_kwargs(pref, train_args),
            share_prompt=pref.share_prompt,
        )
        train_and_save(trainer, tok, out)
        log.info("saved the %s adapter to %s (%d pairs)", loss, out, len(ds))
        return str(out)
