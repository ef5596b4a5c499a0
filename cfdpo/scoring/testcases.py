"""A program's sample tests and how their outputs are compared: :class:`TestCase`, :func:`row_tests` (a row's
tests, from its ``tests`` list or its sample input/output) and :func:`outputs_match` (token by token after
whitespace normalisation, with an optional float tolerance, as online judges compare)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["TestCase", "outputs_match", "row_tests"]


@dataclass(frozen=True)
class TestCase:
    """One test: the text fed to stdin and the expected stdout."""

    __test__ = False  # not a pytest class

    input: str
    output: str


def _tokens(text: str) -> list[str]:
    return text.split()


def outputs_match(got: str, expected: str, float_tolerance: float | None = None) -> bool:
    """Compare outputs token by token after whitespace normalisation.

    With ``float_tolerance``, two tokens that both parse as floats match when
    ``|a - b| <= tol * max(1, |b|)`` (absolute or relative error, as judges do).
    """
    a, b = _tokens(got), _tokens(expected)
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x == y:
            continue
        if float_tolerance is None:
            return False
        try:
            fx, fy = float(x), float(y)
        except ValueError:
            return False
        if not abs(fx - fy) <= float_tolerance * max(1.0, abs(fy)):
            return False
    return True


def row_tests(row: dict[str, Any]) -> list[TestCase]:
    """The test cases of a program or prompt row: its ``tests`` list (or that list as JSON text; text that is
    not JSON counts as no tests), else ``sample_input``/``sample_output``."""
    cases = row.get("tests")
    if isinstance(cases, str):
        import json

        try:
            cases = json.loads(cases)
        except ValueError:
            cases = None
    if cases:
        return [TestCase(c["input"], c["output"]) for c in cases]
    if row.get("sample_input") is not None and row.get("sample_output") is not None:
        return [TestCase(row["sample_input"], row["sample_output"])]
    return []
