"""``cfdpo sft --config recipes/<model>/sft.yaml [overrides]``: supervised fine-tuning with LoRA.

The command parses options and calls :func:`cfdpo.stages.sft.run`; its module docstring (shown by
``--help``) describes the run.
"""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from trl import ModelConfig, SFTConfig

    from ..stages.sft import __doc__ as stage_doc
    from ..stages.sft import run
    from ..stages.training_runs import TrainDataArguments, check_training_args
    from ._parser import parse

    data_args, train_args, model_args = parse(
        [TrainDataArguments, SFTConfig, ModelConfig], argv, prog="cfdpo sft", description=stage_doc, check=check_training_args
    )
    print(f"wrote {run(data_args, train_args, model_args)}")
    return 0
