"""What a compile returns (:class:`CompileResult`) and the small pieces the scorer's parts share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .diagnostics import Diagnostic
from .verdict import Verdict

__all__ = ["CompileResult", "CompilerStartError", "read_capped"]


class CompilerStartError(Exception):
    """The compiler could not be started (an ``internal_error`` verdict)."""


@dataclass
class CompileResult:
    """Result of compiling one program.

    Attributes:
        verdict: see :class:`Verdict`.
        good: whether this counts as a successful compile under the scorer's
            warnings policy (``ok`` always; ``warning`` only with ``warnings="allow"``).
        returncode: g++'s exit status (negative for a signal; ``None`` on timeout).
        diagnostics: parsed diagnostics, in g++'s order.
        stderr: g++'s stderr, capped at the scorer's ``max_stderr_chars``.
        stderr_truncated: whether the cap cut it.
        elapsed_ms: wall-clock milliseconds spent in the compiler.
        command: the argv that ran (paths relative to the temporary directory).
    """

    verdict: Verdict
    good: bool
    returncode: int | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    stderr: str = ""
    stderr_truncated: bool = False
    elapsed_ms: float = 0.0
    command: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (verdict as its string value)."""
        return {
            "verdict": self.verdict.value,
            "good": self.good,
            "returncode": self.returncode,
            "diagnostics": [d.to_dict() for d in self.diagnostics],
            "stderr": self.stderr,
            "stderr_truncated": self.stderr_truncated,
            "elapsed_ms": round(self.elapsed_ms, 3),
            "command": list(self.command),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CompileResult:
        return cls(
            verdict=Verdict(d["verdict"]),
            good=bool(d["good"]),
            returncode=d.get("returncode"),
            diagnostics=[Diagnostic.from_dict(x) for x in d.get("diagnostics") or []],
            stderr=d.get("stderr", ""),
            stderr_truncated=bool(d.get("stderr_truncated", False)),
            elapsed_ms=float(d.get("elapsed_ms", 0.0)),
            command=list(d.get("command") or []),
        )

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.kind == "warning"]


def read_capped(path: str, limit: int) -> tuple[str, bool]:
    """The first ``limit`` bytes of ``path`` as text (undecodable bytes replaced) and whether it had more."""
    with open(path, "rb") as f:
        data = f.read(limit + 1)
    truncated = len(data) > limit
    return data[:limit].decode("utf-8", errors="replace"), truncated
