"""``cfdpo kto --train_file RUN_DIR [--config recipes/<model>/kto.yaml]``: KTO on unpaired compiler verdicts.

The command parses options and calls :func:`cfdpo.stages.kto.run`; its module docstring (shown by
``--help``) describes the run.
"""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from trl import KTOConfig, ModelConfig

    from ..stages.kto import __doc__ as stage_doc
    from ..stages.kto import run
    from ..stages.training_runs import TrainDataArguments, check_training_args
    from ._parser import parse

    data_args, train_args, model_args = parse(
        [TrainDataArguments, KTOConfig, ModelConfig], argv, prog="cfdpo kto", description=stage_doc, check=check_training_args
    )
    print(f"wrote {run(data_args, train_args, model_args)}")
    return 0
