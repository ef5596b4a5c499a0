"""Compiler feedback: the g++ compile scorer and its diagnostics.

Imports only the standard library, so it can be embedded without torch::

    from cfdpo.scoring import CompileScorer
    result = CompileScorer().score(open("a.cpp").read())
    result.verdict, result.good, result.diagnostics
"""

from .compile import CompileResult, CompileScorer, Verdict, compiler_version
from .diagnostics import Diagnostic, parse_gcc_output

__all__ = ["CompileResult", "CompileScorer", "Diagnostic", "Verdict", "compiler_version", "parse_gcc_output"]
