"""``--dry_run`` of ``cfdpo pipeline`` and ``cfdpo loop``: print the resolved TRL configs and stop."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def print_resolved(args: Any) -> int:
    """Print each TRL config the run would build (keys that differ from TRL's defaults), as JSON; returns 0."""
    from ..stages.training_sections import resolved_configs

    print(json.dumps(resolved_configs(args, Path(args.out)), indent=2, sort_keys=True, default=str))
    return 0
