"""The content-hash cache of compile results: source, policy, limits, speed-ups, toolchain and scorer version
-> result, shared across runs and processes (atomic renames), part of
:class:`~cfdpo.scoring.compile.CompileScorer` (which inherits :class:`ResultCache`)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import signal
import tempfile
from typing import Any

from .compile_result import CompileResult
from .verdict import SCORER_VERSION, Verdict, toolchain_versions

__all__ = ["ResultCache"]

log = logging.getLogger(__name__)

#: the address-space and file-size limits of the policy, as g++ and the kernel report them
_OWN_LIMIT_MARKERS = ("memory exhausted", "out of memory", "File size limit exceeded")


class ResultCache:
    """Which results are cached and where (``cache_dir``; None: no cache)."""

    compiler: str
    max_stderr_chars: int
    cache_dir: str | None
    _policy_key: str | None

    def config(self) -> dict[str, Any]:
        raise NotImplementedError

    def speedups(self) -> dict[str, Any]:
        raise NotImplementedError

    def cache_key_parts(self) -> dict[str, Any]:
        """Everything a cached result depends on: the policy (flags, limits, mode, isolation), the speed-ups,
        the compiler, assembler, linkers and libstdc++ headers, and cfdpo's scorer version."""
        return dict(
            self.config(),
            max_stderr_chars=self.max_stderr_chars,
            speedups=self.speedups(),
            toolchain=toolchain_versions(self.compiler),
            scorer_version=SCORER_VERSION,
        )

    def _cache_path(self, source: str) -> str | None:
        if self.cache_dir is None:
            return None
        if self._policy_key is None:
            self._policy_key = json.dumps(self.cache_key_parts(), sort_keys=True)
        h = hashlib.sha256(self._policy_key.encode() + b"\0" + source.encode("utf-8", "surrogateescape")).hexdigest()
        return os.path.join(self.cache_dir, h[:2], h + ".json")

    def _cache_get(self, path: str | None) -> CompileResult | None:
        if path is None:
            return None
        try:
            with open(path, encoding="utf-8") as f:
                return CompileResult.from_dict(json.load(f))
        except (OSError, ValueError, KeyError):
            return None

    @staticmethod
    def cacheable(result: CompileResult) -> bool:
        """Whether a result depends on the program and the policy only, not on the host's state.

        Never cached: timeouts (machine load), internal errors, and resource limits that the program's own
        limits did not cause (a compiler killed by SIGKILL, as the kernel's OOM killer does, or failing to
        start a process); cached: errors, warnings, ok, and g++ reporting the address-space or file-size
        limit of the policy ("memory exhausted", "File size limit exceeded", SIGXFSZ).
        """
        if result.verdict in (Verdict.INTERNAL_ERROR, Verdict.TIMEOUT):
            return False
        if result.verdict is Verdict.RESOURCE_LIMIT:
            if result.returncode == -signal.SIGXFSZ:
                return True
            if result.returncode is not None and result.returncode < 0:
                return False  # killed from outside (OOM killer) or by a signal the limits do not send
            return any(m in result.stderr for m in _OWN_LIMIT_MARKERS) and "Killed signal" not in result.stderr
        return True

    def _cache_put(self, path: str | None, result: CompileResult) -> None:
        if path is None or not self.cacheable(result):
            return
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(result.to_dict(), f)
            os.replace(tmp, path)  # atomic: concurrent writers write the same content
        except OSError as e:
            log.warning("compile cache: cannot write %s: %s", path, e)
