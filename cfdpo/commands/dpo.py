"""``cfdpo dpo --config recipes/<model>/dpo.yaml --loss sigmoid|dpop [--dpop_lambda 50]``.

Preference training on a build-prefs dataset (``--train_file`` = preferences.jsonl
or its run directory) with TRL's DPOTrainer and cfdpo's losses: ``sigmoid``
(DPO, Rafailov et al. 2023) or ``dpop`` (DPO-Positive, Pal et al. 2024, eq. 3).
Starts from the base model (a new LoRA adapter; the reference is the model with
the adapter disabled) or from an SFT adapter (``--adapter``: training continues
on it and a frozen copy is the reference). ``--precompute_ref_log_probs true``
computes the reference log-probs once before training.
"""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from trl import DPOConfig, ModelConfig

    from ..stages.dpo import PreferenceArguments, TrainDataArguments, run
    from ..stages.train_common import check_training_args
    from ._parser import parse

    data_args, pref, train_args, model_args = parse([TrainDataArguments, PreferenceArguments, DPOConfig, ModelConfig],
                                                    argv, prog="cfdpo dpo", description=__doc__,
                                                    check=check_training_args)
    print(f"wrote {run(data_args, pref, train_args, model_args)}")
    return 0
