"""Parsing of g++'s ``-fdiagnostics-format=json`` output.

g++ 12 writes the whole diagnostic list as one JSON array on the first line of
stderr (``[]`` for a clean compile). After a fatal error a plain
``compilation terminated.`` line follows, and in link mode the linker's plain
text (``undefined reference to ...``, ``collect2: error: ...``) follows too.
:func:`parse_gcc_output` reads the JSON line and turns the plain-text tail into
extra diagnostics, so a link failure is never a silent error.

This module imports nothing outside the standard library.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["Diagnostic", "parse_gcc_output"]

#: the name under which the program under test is compiled; diagnostics located
#: in it carry ``file == SOURCE_NAME``.
SOURCE_NAME = "prog.cpp"

_LINKER_ERROR = re.compile(r"(undefined reference to|multiple definition of|ld returned|cannot find -l)")


@dataclass(frozen=True)
class Diagnostic:
    """One compiler diagnostic.

    Attributes:
        kind: ``error``, ``warning``, ``note``, ``fatal error`` (g++'s own word), or
            ``link error`` for linker messages.
        message: the message text, ASCII quotes (g++ runs with ``LC_ALL=C``).
        line: 1-based line of the caret, or ``None`` when g++ gives no location.
        column: 1-based column of the caret, or ``None``.
        option: the warning option that enabled it (``-Wreturn-type``), or ``None``.
        file: the file it points into (``prog.cpp`` for the program itself, a header
            path otherwise), or ``None``.
    """

    kind: str
    message: str
    line: int | None = None
    column: int | None = None
    option: str | None = None
    file: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Diagnostic:
        return cls(
            kind=d["kind"],
            message=d["message"],
            line=d.get("line"),
            column=d.get("column"),
            option=d.get("option"),
            file=d.get("file"),
        )

    @property
    def is_error(self) -> bool:
        return self.kind in ("error", "fatal error", "link error")


def _from_json(obj: dict[str, Any]) -> Diagnostic:
    line = column = None
    file = None
    locs = obj.get("locations") or []
    if locs:
        caret = locs[0].get("caret") or {}
        line = caret.get("line")
        column = caret.get("column")
        file = caret.get("file")
    return Diagnostic(
        kind=str(obj.get("kind", "error")),
        message=str(obj.get("message", "")),
        line=line,
        column=column,
        option=obj.get("option"),
        file=file,
    )


def parse_gcc_output(stderr: str) -> tuple[list[Diagnostic], bool]:
    """Parse g++ stderr produced with ``-fdiagnostics-format=json``.

    Args:
        stderr: the captured stderr text (possibly truncated by the output cap).

    Returns:
        ``(diagnostics, json_ok)``: the top-level diagnostics (children such as
        notes attached to an error are not flattened), then linker errors found
        in the plain-text lines after the JSON; ``json_ok`` is False when the
        first line was not a complete JSON array (truncated output, a crash of
        g++ itself), in which case only the plain-text lines were used.

    Never raises on malformed input.
    """
    diags: list[Diagnostic] = []
    if not stderr:
        return diags, True
    first, _, rest = stderr.partition("\n")
    json_ok = False
    stripped = first.strip()
    if stripped.startswith("["):
        try:
            arr = json.loads(stripped)
            if isinstance(arr, list):
                diags.extend(_from_json(o) for o in arr if isinstance(o, dict))
                json_ok = True
        except ValueError:
            json_ok = False
    tail = rest if json_ok else stderr
    for raw in tail.splitlines():
        text = raw.strip()
        if not text or text == "compilation terminated.":
            continue
        if _LINKER_ERROR.search(text):
            # keep only the message part of "file.o:(.text+0x5): undefined reference to `f()'"
            m = re.search(r"(undefined reference to.*|multiple definition of.*|cannot find -l.*|ld returned.*)", text)
            diags.append(Diagnostic(kind="link error", message=m.group(1) if m else text))
        elif not json_ok and not text.startswith("[") and re.search(r"\b(error|fatal error)\b", text):
            diags.append(Diagnostic(kind="error", message=text))
    return diags, json_ok


# ---------------------------------------------------------------------------
# error taxonomy
ERROR_KINDS = (
    "undeclared_identifier",
    "expected_token",
    "type_mismatch",
    "no_matching_function",
    "unterminated_literal",
    "missing_return",
    "link_error",
    "other",
)

_KIND_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("unterminated_literal", re.compile(r"missing terminating|unterminated")),
    ("missing_return", re.compile(r"no return statement|control reaches end of non-void")),
    (
        "undeclared_identifier",
        re.compile(
            r"was not declared in this scope|has not been declared|does not name a type|is not a member of|"
            r"not declared|undeclared|does not name a template"
        ),
    ),
    (
        "no_matching_function",
        re.compile(
            r"no matching function|too few arguments|too many arguments|no matching constructor|"
            r"cannot be used as a function"
        ),
    ),
    (
        "type_mismatch",
        re.compile(
            r"cannot convert|invalid conversion|no match for|invalid operands|incompatible types|"
            r"conversion from .* to non-scalar|invalid use of|cannot bind"
        ),
    ),
    ("expected_token", re.compile(r"\bexpected\b|stray '|before '.*' token|at end of input")),
)


def error_kind(diag: Diagnostic) -> str:
    """Map a diagnostic to one of :data:`ERROR_KINDS` (by message text)."""
    if diag.kind == "link error":
        return "link_error"
    for name, pat in _KIND_PATTERNS:
        if pat.search(diag.message):
            return name
    return "other"


def normalise_message(message: str) -> str:
    """A message with quoted names replaced by ``'…'``, for counting frequent errors."""
    return re.sub(r"'[^']*'|`[^']*'", "'…'", message)
