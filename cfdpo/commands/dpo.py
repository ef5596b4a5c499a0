"""``cfdpo dpo --config recipes/<model>/dpo.yaml --loss sigmoid|dpop [--dpop_lambda 50]``.

The command parses options and calls :func:`cfdpo.stages.dpo.run`; its module docstring (shown by
``--help``) describes the run.
"""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from trl import DPOConfig, ModelConfig

    from ..stages.dpo import PreferenceArguments, TrainDataArguments, run
    from ..stages.dpo import __doc__ as stage_doc
    from ..stages.training_runs import check_training_args
    from ._parser import parse

    data_args, pref, train_args, model_args = parse(
        [TrainDataArguments, PreferenceArguments, DPOConfig, ModelConfig],
        argv,
        prog="cfdpo dpo",
        description=stage_doc,
        check=check_training_args,
    )
    print(f"wrote {run(data_args, pref, train_args, model_args)}")
    return 0
