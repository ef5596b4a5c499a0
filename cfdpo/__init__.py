"""cfdpo: compiler-feedback preference optimisation for code LLMs.

The public API is imported lazily, so ``import cfdpo`` and ``cfdpo --help`` stay
fast and the scorer never pulls in torch.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_API = {
    "CompileScorer": "cfdpo.scoring",
    "CompileResult": "cfdpo.scoring",
    "Verdict": "cfdpo.scoring",
    "Diagnostic": "cfdpo.scoring",
    "mask_program": "cfdpo.corpus.masking",
    "load_codenet": "cfdpo.corpus.codenet",
    "build_preferences": "cfdpo.prefs.pairs",
}

__all__ = [
    "CompileResult",
    "CompileScorer",
    "Diagnostic",
    "Verdict",
    "__version__",
    "build_preferences",
    "load_codenet",
    "mask_program",
]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'cfdpo' has no attribute {name!r}")
