"""``cfdpo grpo [--config recipes/<model>/grpo.yaml] [overrides]``: online RL with the compiler as the reward.

The command parses options and calls :func:`cfdpo.stages.grpo.run`; its module docstring (shown by
``--help``) describes the run.
"""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from trl import GRPOConfig, ModelConfig

    from ..stages.grpo import GrpoDataArguments, run
    from ..stages.grpo import __doc__ as stage_doc
    from ..stages.training_runs import check_training_args
    from ._parser import parse

    data_args, train_args, model_args = parse(
        [GrpoDataArguments, GRPOConfig, ModelConfig], argv, prog="cfdpo grpo", description=stage_doc, check=check_training_args
    )
    print(f"wrote {run(data_args, train_args, model_args)}")
    return 0
