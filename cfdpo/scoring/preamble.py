"""The include preamble of a program: the leading ``#include`` lines a precompiled header may stand for.

:func:`split_preamble` and :func:`preamble_includes` read it line by line and stop at any line the
preprocessor might read differently (see :func:`_opaque`); :data:`CHEAP_HEADERS` are the C library headers
that never end a PCH. Used by :mod:`cfdpo.scoring.pch` and :mod:`cfdpo.scoring.differential`.
"""

from __future__ import annotations

import re

__all__ = ["ANY_INCLUDE", "CHEAP_HEADERS", "INCLUDE_LINE", "as_angled", "preamble_includes", "split_preamble"]

#: headers of the C library (and their ``<c...>`` forms) that parse in about 10 ms: a PCH whose last header is
#: one of them saves nothing over the shorter one (``<cmath>`` / ``<math.h>`` pull in C++ templates: 330 ms)
CHEAP_HEADERS = frozenset(
    f"#include <{h}>"
    for base in (
        "assert",
        "ctype",
        "errno",
        "fenv",
        "float",
        "inttypes",
        "iso646",
        "limits",
        "locale",
        "setjmp",
        "signal",
        "stdarg",
        "stdbool",
        "stddef",
        "stdint",
        "stdio",
        "stdlib",
        "string",
        "time",
        "uchar",
        "wchar",
        "wctype",
    )
    for h in (f"{base}.h", f"c{base}")
    if h != "cstring.h"
)


#: one include line: ``<name>`` in group 1 or ``"name"`` in group 2, an optional ``//`` comment after it
INCLUDE_LINE = re.compile(r"^[ \t]*#[ \t]*include[ \t]*(?:<([^<>\"\n]+)>|\"([^<>\"\n]+)\")[ \t]*(//.*)?$")
#: files that exist beside a program (its temp dir) or beside a PCH's pre.h: a quoted include of
#: one of them would find it there, so such a line ends the preamble
_LOCAL_NAMES = frozenset({"prog.cpp", "prog", "prog.o", "stderr.txt", "pre.h", "pre.h.gch", "pre.d"})
#: an include anywhere (after the preamble, where a PCH with instantiations is not used)
ANY_INCLUDE = re.compile(r"^[ \t]*#[ \t]*include")
_SKIP = re.compile(r"^[ \t]*(//.*)?$")
#: characters after which a line may not mean to the preprocessor what it means line by line
_OPAQUE = re.compile(r"[\\\r\f\v\x00]|\?\?")


def _opaque(line: str) -> bool:
    """Whether a preamble line could join, split or hide lines for GCC's preprocessor.

    A backslash anywhere may be a line continuation (GCC accepts whitespace between the backslash and
    the newline, with a warning), ``??/`` is a backslash where trigraphs are on (``-std=c++14`` and
    earlier, ``-trigraphs``), and a lone carriage return (also form feed, vertical tab, NUL: rare
    enough not to reason about) ends or changes a line for GCC but not for ``str.split("\\n")``.
    Such a line ends the preamble, so the PCH never covers or blanks it.
    """
    return _OPAQUE.search(line) is not None


def split_preamble(source: str, quoted: bool = True) -> tuple[list[str], int]:
    """The include lines of a program's preamble and the number of lines it spans.

    The preamble is the longest run of leading lines that are each an
    ``#include <...>`` (optionally followed by a ``//`` comment), blank, or a
    ``//`` comment. A line that the preprocessor might read differently from
    this line-by-line view ends it (see :func:`_opaque`): any backslash (a
    line continuation, even with spaces before the newline, joins the next
    line to a comment), ``??`` (the ``??/`` trigraph is a backslash under
    ``-std=c++14`` and earlier), a carriage return, form feed, vertical tab
    or NUL (GCC ends a line at a lone ``\r``). Trailing blank and comment
    lines are not counted. With ``quoted`` (the default), an
    ``#include "name"`` counts as ``#include <name>``: a quoted include is first
    looked up beside the including file, and the only files beside a program
    (its private temp dir) or a PCH's ``pre.h`` are the scorer's own, so for
    any other relative name without ``..`` both forms find the same header.

    Returns:
        ``(include_lines, n_lines)``, the include lines normalised to
        ``#include <name>`` (``#include<x.h>`` and ``#include <x.h>`` mean the
        same); ``([], 0)`` when there is no include.
    """
    found = preamble_includes(source, quoted)
    return [inc for _, inc in found], (found[-1][0] + 1 if found else 0)


def preamble_includes(source: str, quoted: bool = True) -> list[tuple[int, str]]:
    """``(line_index, "#include <name>")`` for each include of the preamble (see :func:`split_preamble`)."""
    found: list[tuple[int, str]] = []
    for i, line in enumerate(source.split("\n")):
        if _opaque(line):
            break
        m = INCLUDE_LINE.match(line)
        if m and m.group(2) is not None:  # "name"
            name = m.group(2).strip()
            if not quoted or name.startswith("/") or ".." in name or name.replace("\\", "/").split("/")[0] in _LOCAL_NAMES:
                break
            found.append((i, f"#include <{name}>"))
        elif m:
            found.append((i, f"#include <{m.group(1).strip()}>"))
        elif not _SKIP.match(line):
            break
    return found


def as_angled(line: str) -> str:
    """``#include "x"`` as ``#include <x>`` (a quoted C header is as cheap as an angled one)."""
    m = re.match(r'\s*#\s*include\s*"([^"]+)"\s*$', line)
    return f"#include <{m.group(1)}>" if m else line.strip()
