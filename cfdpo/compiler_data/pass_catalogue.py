"""The opt pass catalogue: the transform passes of ``opt --print-passes`` (LLVM's new pass manager), each with
the text that runs it at top level, and the shipped catalogue per LLVM release (``passes-llvm<N>.json``).

Kept: module, CGSCC, function, loop-nest and loop transform passes. Dropped: analyses, printers, verifiers,
instrumentation and passes that do not preserve the program's behaviour (``internalize``, ``lowerinvoke``,
``loweratomic``, symbol stripping, ...). See :mod:`cfdpo.compiler_data.passes` for what the catalogue feeds.
"""

from __future__ import annotations

import json
import subprocess
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .llvm_ir import LLVMToolchain

__all__ = ["build_catalogue", "load_catalogue"]


_KINDS = {
    "Module passes": "module",
    "CGSCC passes": "cgscc",
    "Function passes": "function",
    "LoopNest passes": "loop",
    "Loop passes": "loop",
}

_WITH_PARAMS = {
    "Module passes with params": "module",
    "CGSCC passes with params": "cgscc",
    "Function passes with params": "function",
    "Loop passes with params": "loop",
}

#: substrings that mark a pass that analyses, prints, verifies, instruments or is a no-op
_EXCLUDE_PARTS = (
    "print",
    "dot-",
    "view-",
    "verify",
    "invalidate",
    "no-op",
    "debugify",
    "sanitizer",
    "san",
    "profile",
    "pgo-",
    "instr",
    "gcov",
    "memprof",
    "probe",
    "openmp",
    "objc-arc",
    "coro-",
    "annotation",
    "remark",
    "debuginfo",
    "dbg",
    "strip",
    "attributor",
    "ml-advisor",
    "eval",
)

#: passes that change behaviour or names other code relies on, need special IR, or crash by design
_EXCLUDE = frozenset(
    [
        "internalize",
        "lowerinvoke",
        "loweratomic",
        "metarenamer",
        "instnamer",
        "rewrite-symbols",
        "name-anon-globals",
        "trigger-crash",
        "extract-blocks",
        "loop-extract",
        "function-import",
        "cross-dso-cfi",
        "lowertypetests",
        "wholeprogramdevirt",
        "cg-profile",
        "dfsan",
        "tsan",
        "tsan-module",
        "asan",
        "hwasan",
        "msan",
        "poison-checking",
        "bounds-checking",
        "ee-instrument",
        "kcfi",
        "helloworld",
        "synthetic-counts-propagation",
        "rewrite-statepoints-for-gc",
        "strip-gc-relocates",
        "lower-guard-intrinsic",
        "lower-widenable-condition",
        "make-guards-explicit",
        "guard-widening",
        "loop-predication",
        "lint",
        "instcount",
        "aa-eval",
        "pa-eval",
        "legacy-divergence-analysis",
        "structurizecfg",
        "fix-irreducible",
        "infer-address-spaces",
        "assume-builder",
        "assume-simplify",
        "add-discriminators",
        "inject-tli-mappings",
        "declare-to-assign",
        "lower-matrix-intrinsics",
        "transform-warning",
        "recompute-globalsaa",
        "forceattrs",
        "lower-ifunc",
        "lower-global-dtors",
        "module-inline",
        "inliner-wrapper-no-mandatory-first",
        "dot-ddg",
        "canon-freeze",
        "scalarize-masked-mem-intrin",
        "tlshoist",
        "loop-versioning-licm",
    ]
)

#: parameterised passes worth keeping, in their default form
_PARAM_DEFAULTS = {
    "loop-unroll",
    "simplifycfg",
    "loop-vectorize",
    "mldst-motion",
    "gvn",
    "sroa",
    "early-cse",
    "simple-loop-unswitch",
    "licm",
    "lnicm",
    "ipsccp",
    "inline",
    "early-cse<memssa>",
}


def _keep(name: str) -> bool:
    return name not in _EXCLUDE and not any(p in name for p in _EXCLUDE_PARTS) and "<" not in name


def _wrap(name: str, kind: str) -> str:
    if kind == "cgscc":
        return f"cgscc({name})"
    if kind == "function":
        return f"function({name})"
    if kind == "loop":
        return f"function(loop-mssa({name}))"
    return name


def build_catalogue(tc: LLVMToolchain) -> dict[str, Any]:
    """The transform passes of ``tc.opt`` (``opt --print-passes``), each with the text that runs it.

    Returns:
        ``{"llvm_version", "opt", "passes": [{"name", "kind", "text"}]}``, passes in opt's order.
    """
    out = subprocess.run([tc.opt, "--print-passes"], capture_output=True, text=True, timeout=60, check=True).stdout
    passes: list[dict[str, str]] = []
    seen: set[str] = set()
    section = None
    for line in out.splitlines():
        if not line.startswith(" "):
            section = line.rstrip(":").strip()
            continue
        name = line.strip()
        if section in _KINDS:
            kind = _KINDS[section]
            if not _keep(name):
                continue
        elif section in _WITH_PARAMS:
            kind = _WITH_PARAMS[section]
            base = name.split("<")[0]
            if base not in _PARAM_DEFAULTS or not _keep(base):
                continue
            name = base
        else:
            continue
        if name in seen:
            continue
        seen.add(name)
        passes.append({"name": name, "kind": kind, "text": _wrap(name, kind)})
    if "early-cse" in seen:
        passes.append({"name": "early-cse<memssa>", "kind": "function", "text": "function(early-cse<memssa>)"})
    # the -Oz pipeline as one item, so that searches can start from it and improve on it
    passes.append({"name": "default<Oz>", "kind": "pipeline", "text": "default<Oz>"})
    return {"llvm_version": tc.version, "opt": tc.opt, "passes": passes}


def load_catalogue(version: int = 16) -> dict[str, Any]:
    """The shipped catalogue for an LLVM release (``cfdpo/compiler_data/passes-llvm<N>.json``).

    Raises:
        FileNotFoundError: no catalogue for that release (make one: ``python -m cfdpo.compiler_data.passes``).
    """
    name = f"passes-llvm{version}.json"
    try:
        text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise FileNotFoundError(
            f"no pass catalogue {name} for LLVM {version}; write one with "
            f"`python -m cfdpo.compiler_data.passes --version {version}`"
        ) from e
    return json.loads(text)
