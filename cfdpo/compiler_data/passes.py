"""opt pass lists on the new pass manager: the pass catalogue, code size, pass-list evaluation.

LLM Compiler (Cummins et al. 2025) trains on (IR, pass list, resulting IR, size)
rows; its code was never released, and CompilerGym's action space is LLVM 10's
legacy pass manager. This module rebuilds the pieces on the LLVM that Debian
ships, through ``opt -passes=...``:

* :func:`build_catalogue` reads ``opt --print-passes`` and keeps the transform
  passes (module, CGSCC, function, loop-nest and loop passes), dropping
  analyses, printers, verifiers, instrumentation and passes that do not
  preserve the program's behaviour (``internalize``, ``lowerinvoke``,
  ``loweratomic``, symbol stripping, ...). The shipped catalogue
  (``passes-llvm<N>.json``) records the LLVM version it came from; each entry
  carries the text that runs it at top level (``function(instcombine)``,
  ``cgscc(inline)``, ``function(loop-mssa(licm))``). One more item, ``default<Oz>``
  (kind ``pipeline``), is the whole -Oz pipeline, so that a search can start
  from -Oz and improve on it.
* :func:`code_size`: binary size = ``.text`` + ``.data`` of the object file
  (``llc -filetype=obj``, then ``llvm-size -A``, summing every ``.text*`` and
  ``.data*`` section, as LLM Compiler defines it), plus the IR instruction count.
* :func:`evaluate_pass_list`: opt + llc + llvm-size on one module, under limits.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..scoring.limits import run_limited
from ..tempdirs import run_temp_root
from .llvm_ir import LLVMToolchain, ir_instruction_count
from .pass_catalogue import build_catalogue, load_catalogue

__all__ = [
    "PassListResult",
    "SizeResult",
    "build_catalogue",
    "code_size",
    "evaluate_pass_list",
    "evaluate_pipeline",
    "load_catalogue",
    "pipeline_text",
    "unoptimised_ir",
]

log = logging.getLogger(__name__)


def pipeline_text(names: Sequence[str], catalogue: dict[str, Any]) -> str:
    """The ``-passes=`` value for a list of pass names (each wrapped for its level).

    Raises:
        KeyError: a name not in the catalogue.
    """
    by = {p["name"]: p["text"] for p in catalogue["passes"]}
    missing = [n for n in names if n not in by]
    if missing:
        raise KeyError(f"passes not in the LLVM {catalogue['llvm_version']} catalogue: {missing}")
    return ",".join(by[n] for n in names)


@dataclass
class SizeResult:
    """Code size of one module: ``.text`` + ``.data`` bytes of its object file, per section, and IR instructions."""

    binary_size: int
    text: int
    data: int
    instructions: int


def _size_in(d: str, ll: str, tc: LLVMToolchain, timeout_s: float) -> tuple[SizeResult | None, str]:
    out = run_limited([tc.llc, "-filetype=obj", "-o", "m.o", ll], d, timeout_s)
    if out.timed_out:
        return None, "llc_timeout"
    if out.returncode != 0:
        return None, "llc_error"
    res = subprocess.run([tc.llvm_size, "-A", "m.o"], cwd=d, capture_output=True, text=True, timeout=timeout_s)
    if res.returncode != 0:
        return None, "size_error"
    text = data = 0
    for line in res.stdout.splitlines():
        m = re.match(r"^(\.\S+)\s+(\d+)\s+\d+", line)
        if not m:
            continue
        sec, size = m.group(1), int(m.group(2))
        if sec == ".text" or sec.startswith(".text."):
            text += size
        elif sec == ".data" or sec.startswith(".data."):
            data += size
    with open(os.path.join(d, ll), encoding="utf-8", errors="replace") as f:
        icount = ir_instruction_count(f.read())
    return SizeResult(text + data, text, data, icount), ""


def code_size(ir: str, tc: LLVMToolchain, timeout_s: float = 60.0) -> SizeResult:
    """Binary size (.text + .data of ``llc -filetype=obj``; LLM Compiler, Sec. 3) and IR instruction count.

    Raises:
        RuntimeError: llc or llvm-size failed on this module.
    """
    with tempfile.TemporaryDirectory(prefix="cfdpo-size-", dir=run_temp_root()) as d:
        with open(os.path.join(d, "m.ll"), "w", encoding="utf-8") as f:
            f.write(ir)
        res, why = _size_in(d, "m.ll", tc, timeout_s)
    if res is None:
        raise RuntimeError(f"cannot size the module: {why}")
    return res


@dataclass
class PassListResult:
    """One pass-list evaluation: the size after opt (None when it failed) and why it failed."""

    size: SizeResult | None
    ir: str | None
    failure: str = ""


def evaluate_pass_list(
    ir: str,
    passes: Sequence[str],
    catalogue: dict[str, Any],
    tc: LLVMToolchain,
    timeout_s: float = 60.0,
    memory_mb: int = 4096,
    keep_ir: bool = True,
) -> PassListResult:
    """Run ``opt -passes=<list>`` on ``ir``, then size the result (opt + llc + llvm-size, each limited).

    An empty list sizes the input as it is. Failures (``opt_crash``, ``opt_timeout``, ``llc_error``, ...)
    come back in ``failure``; nothing raises for what the passes do.

    Raises:
        KeyError: a pass name not in the catalogue.
    """
    text = pipeline_text(passes, catalogue) if passes else ""
    return evaluate_pipeline(ir, text, tc, timeout_s, memory_mb, keep_ir)


def evaluate_pipeline(
    ir: str, text: str, tc: LLVMToolchain, timeout_s: float = 60.0, memory_mb: int = 4096, keep_ir: bool = True
) -> PassListResult:
    """Run ``opt -passes=<text>`` (any pipeline text, e.g. a model's answer) on ``ir``, then size the result.

    ``text`` goes to opt as one argument (never through a shell), in a temporary directory, under the
    time and address-space limits. An empty text sizes the input as it is. Failures: ``opt_error``
    (opt refused the pipeline or the IR), ``opt_crash``, ``opt_timeout``, ``llc_error``, ``llc_timeout``,
    ``size_error``.
    """
    with tempfile.TemporaryDirectory(prefix="cfdpo-opt-", dir=run_temp_root()) as d:
        with open(os.path.join(d, "in.ll"), "w", encoding="utf-8") as f:
            f.write(ir)
        src = "in.ll"
        if text:
            out = run_limited([tc.opt, "-S", f"-passes={text}", "-o", "out.ll", "in.ll"], d, timeout_s, memory_mb)
            if out.timed_out:
                return PassListResult(None, None, "opt_timeout")
            if out.returncode != 0:
                return PassListResult(
                    None, None, "opt_crash" if (out.returncode or 0) < 0 or "Stack dump" in out.stderr else "opt_error"
                )
            src = "out.ll"
        size, why = _size_in(d, src, tc, timeout_s)
        ir_text = None
        if keep_ir and size is not None:
            with open(os.path.join(d, src), encoding="utf-8", errors="replace") as f:
                ir_text = f.read()
        return PassListResult(size, ir_text, why)


def oz_size(ir: str, tc: LLVMToolchain, timeout_s: float = 60.0) -> SizeResult | None:
    """Size after ``opt -passes='default<Oz>'`` (the -Oz baseline on the same unoptimised IR)."""
    with tempfile.TemporaryDirectory(prefix="cfdpo-opt-", dir=run_temp_root()) as d:
        with open(os.path.join(d, "in.ll"), "w", encoding="utf-8") as f:
            f.write(ir)
        out = run_limited([tc.opt, "-S", "-passes=default<Oz>", "-o", "out.ll", "in.ll"], d, timeout_s)
        if out.returncode != 0:
            return None
        return _size_in(d, "out.ll", tc, timeout_s)[0]


def unoptimised_ir(
    source: str, language: str, tc: LLVMToolchain, timeout_s: float = 60.0, include_dirs: tuple[str, ...] = ()
) -> tuple[str | None, str]:
    """IR that passes can still act on: ``-O2 -Xclang -disable-llvm-passes``.

    (``-O0`` IR marks every function ``optnone noinline``; even ``-O0 -Xclang -disable-O0-optnone`` keeps
    ``noinline``, and ``default<Oz>`` then leaves it about 3x larger than clang -Oz.)

    Returns:
        ``(ir, "")`` or ``(None, reason)``.
    """
    from .llvm_ir import C_FLAGS, CXX_FLAGS

    ext, cc, flags = (".cpp", tc.clangxx, CXX_FLAGS) if language == "C++" else (".c", tc.clang, C_FLAGS)
    with tempfile.TemporaryDirectory(prefix="cfdpo-ir-", dir=run_temp_root()) as d:
        with open(os.path.join(d, "prog" + ext), "w", encoding="utf-8") as f:
            f.write(source)
        cmd = [
            cc,
            *flags,
            *(f"-I{i}" for i in include_dirs),
            "-S",
            "-emit-llvm",
            "-O2",
            "-Xclang",
            "-disable-llvm-passes",
            "-w",
            "-o",
            "prog.ll",
            "prog" + ext,
        ]
        out = run_limited(cmd, d, timeout_s, 4096)
        if out.timed_out:
            return None, "timeout"
        if out.returncode != 0:
            return None, "compile_error"
        with open(os.path.join(d, "prog.ll"), encoding="utf-8", errors="replace") as f:
            return f.read(), ""


def _main() -> int:  # pragma: no cover - maintenance script
    import argparse

    from .llvm_ir import find_llvm

    ap = argparse.ArgumentParser(description="write the pass catalogue of an installed LLVM release")
    ap.add_argument("--version", type=int, default=16)
    a = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    tc = find_llvm(a.version)
    cat = build_catalogue(tc)
    probe = "define i32 @f(i32 %x) {\nentry:\n  %y = add i32 %x, 1\n  ret i32 %y\n}\n"
    ok = []
    for p in cat["passes"]:
        r = evaluate_pass_list(probe, [p["name"]], cat, tc, keep_ir=False)
        if r.size is None:
            log.warning("dropping %s: %s", p["name"], r.failure)
            continue
        ok.append(p)
    cat["passes"] = ok
    cat["opt"] = os.path.basename(cat["opt"])
    path = os.path.join(os.path.dirname(__file__), f"passes-llvm{a.version}.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(cat, f, indent=1)
        f.write("\n")
    log.info("wrote %d passes to %s", len(ok), path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_main())
