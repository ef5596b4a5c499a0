"""Masking programs into completion prompts.

Source of the method: Jain et al., "Direct Preference Optimisation with Compiler
Feedback", Sec. 3 (data): the last fraction ``m`` of each program is removed and
the model is asked to complete it; m = 0.1. As in the authors' code, the program
is first stripped of surrounding whitespace and at least one character is
removed (``end = max(int(m * len), 1)``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MASK_MODES", "MaskedProgram", "mask_program"]

MASK_MODES = ("chars", "lines")


@dataclass(frozen=True)
class MaskedProgram:
    """A program split into a prompt and the reference completion.

    Invariant: ``prompt + reference_completion == source.strip()``.
    """

    prompt: str
    reference_completion: str
    mask_ratio: float
    mode: str


def mask_program(source: str, ratio: float = 0.1, mode: str = "chars") -> MaskedProgram:
    """Remove the last ``ratio`` of a program's characters.

    Args:
        source: program text; surrounding whitespace is stripped first.
        ratio: fraction of characters to remove, ``0 < ratio < 1``.
        mode: ``chars`` removes exactly ``max(int(ratio * n), 1)`` characters
            (n = stripped length); ``lines`` moves the cut back to the start of
            the line containing it, so whole lines are removed (at least that
            many characters), unless that would leave an empty prompt, in which
            case the character cut is used.

    Returns:
        A :class:`MaskedProgram`.

    Raises:
        ValueError: ``ratio`` outside (0, 1), an unknown ``mode``, or a program
            with fewer than 2 non-whitespace-stripped characters.
    """
    if not 0.0 < ratio < 1.0:
        raise ValueError(f"mask ratio must be in (0, 1), got {ratio}")
    if mode not in MASK_MODES:
        raise ValueError(f"mask mode must be one of {MASK_MODES}, got {mode!r}")
    text = source.strip()
    n = len(text)
    if n < 2:
        raise ValueError(f"program too short to mask ({n} characters after stripping)")
    removed = min(max(int(ratio * n), 1), n - 1)
    cut = n - removed
    if mode == "lines":
        line_start = text.rfind("\n", 0, cut) + 1
        if line_start > 0:
            cut = line_start
    return MaskedProgram(prompt=text[:cut], reference_completion=text[cut:], mask_ratio=ratio, mode=mode)
