"""User-facing errors: what the ``cfdpo`` command line reports as one line, without a traceback.

The CLI prints ``cfdpo <command>: error: <what>: <problem>`` on stderr and exits
with :attr:`CfdpoError.exit_code`: 2 for usage errors (a bad option or config
value), 1 for input errors (a missing file, a malformed row, an empty
selection). ``--debug`` or ``CFDPO_DEBUG=1`` shows the traceback as well.
Library callers catch :class:`CfdpoError` (a :class:`ValueError`) like any other error.
"""

from __future__ import annotations

__all__ = ["CfdpoError", "InputError", "OptionError", "UsageError"]


class CfdpoError(ValueError):
    """An error the user can fix; its message is one line naming the file or option and the problem."""

    exit_code = 1


class UsageError(CfdpoError):
    """A bad command line or config value (exit code 2)."""

    exit_code = 2


class InputError(CfdpoError):
    """Bad input data: a missing or malformed file, a corpus without programs (exit code 1)."""

    exit_code = 1


class OptionError(UsageError):
    """An option's value is out of range; raised by config dataclasses when they are built.

    The parser turns it into ``--name: problem`` or ``FILE.yaml: name: problem``
    depending on where the value came from.

    Attributes:
        option: the field name (no dashes).
        problem: what is wrong, e.g. ``must be in (0, 1), got 0``.
    """

    def __init__(self, option: str, problem: str) -> None:
        super().__init__(f"--{option} {problem}")
        self.option = option
        self.problem = problem
