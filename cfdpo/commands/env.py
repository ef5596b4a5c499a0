"""``cfdpo env``: versions, the compiler, and where the default model is cached."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import NoReturn


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    from ..errors import UsageError

    parser = argparse.ArgumentParser(prog="cfdpo env", description=__doc__)

    def _error(message: str) -> NoReturn:
        raise UsageError(message)

    parser.error = _error  # type: ignore[method-assign]
    parser.parse_args(list(argv or []))
    from ..model_files import DEFAULT_MODEL
    from ..runinfo import environment_info
    from ..scoring import compiler_version
    from ..tempdirs import cache_dir

    info = environment_info()
    try:
        info["gxx"] = compiler_version("g++")
    except FileNotFoundError as e:
        info["gxx"] = str(e)
    model_dir = cache_dir() / "models" / DEFAULT_MODEL
    info["default_model"] = {"name": DEFAULT_MODEL, "cache": str(model_dir), "converted": model_dir.is_dir()}
    print(json.dumps(info, indent=2))
    return 0
