"""Source ↔ LLVM IR pairs in the style of IRCoder / SLTrans (Paul et al. 2024).

Each program is compiled with ``clang++ -std=c++17 -S -emit-llvm -O<level>
-fno-discard-value-names`` (C with ``clang -std=c17``), the IR is cleaned to what
a model should learn from (each step optional and recorded), and the cleaned IR
must still verify (``opt -passes=verify``) or the row is dropped with a reason.
Near-duplicate sources are removed with MinHash LSH (datasketch; IRCoder used
n-grams of 8 and a 0.5 threshold).

All LLVM tools are the versioned binaries of one release (``clang++-16``,
``opt-16``, ...): Debian's unversioned ``opt`` is LLVM 14 and cannot read
clang 16's opaque-pointer IR.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..scoring.limits import run_limited
from ..tempdirs import run_temp_root

__all__ = [
    "CLEAN_STEPS",
    "SENTINELS",
    "LLVMToolchain",
    "add_sentinel_tokens",
    "clean_ir",
    "dedup_minhash",
    "emit_ir",
    "find_llvm",
    "ir_instruction_count",
    "pair_rows",
    "verify_ir",
]

log = logging.getLogger(__name__)

#: IRCoder's direction tokens
SENTINELS = ("<source_to_llvm>", "<llvm_to_source>")

#: the cleaning steps, in the order they are applied
CLEAN_STEPS = ("target", "debug", "ident_flags", "attributes", "comments")

_TOOLS = ("clang", "clang++", "opt", "llvm-as", "llc", "llvm-size")


@dataclass(frozen=True)
class LLVMToolchain:
    """Paths of one LLVM release's tools and its version string."""

    version: int
    clang: str
    clangxx: str
    opt: str
    llvm_as: str
    llc: str
    llvm_size: str
    clang_version: str

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def find_llvm(version: int | None = None) -> LLVMToolchain:
    """Find clang and the LLVM tools of one release (the newest complete one by default).

    Raises:
        FileNotFoundError: naming the missing tool (install e.g. ``apt-get install clang-16 llvm-16``).
    """
    versions = [version] if version else [19, 18, 17, 16, 15, 14]
    missing_report = []
    for v in versions:
        found = {t: shutil.which(f"{t}-{v}") for t in _TOOLS}
        missing = [f"{t}-{v}" for t, p in found.items() if p is None]
        if not missing:
            paths = {t: str(p) for t, p in found.items()}
            out = subprocess.run([paths["clang"], "--version"], capture_output=True, text=True, timeout=30)
            return LLVMToolchain(
                v,
                paths["clang"],
                paths["clang++"],
                paths["opt"],
                paths["llvm-as"],
                paths["llc"],
                paths["llvm-size"],
                (out.stdout.splitlines() or ["?"])[0].strip(),
            )
        missing_report.append(", ".join(missing))
    raise FileNotFoundError(
        f"no complete LLVM toolchain found (missing: {'; '.join(missing_report)}); "
        f"install one release of clang and llvm, e.g. apt-get install clang-16 llvm-16"
    )


#: C is compiled as GNU C17, with the errors clang 16 added for pre-C99 code (implicit declarations,
#: implicit int) turned back into warnings, so that old translation units such as MiBench's compile
C_FLAGS = (
    "-std=gnu17",
    "-Wno-error=implicit-function-declaration",
    "-Wno-error=implicit-int",
    "-Wno-error=int-conversion",
    "-Wno-error=incompatible-function-pointer-types",
)
CXX_FLAGS = ("-std=c++17",)


def emit_ir(
    source: str,
    language: str,
    opt_level: str,
    tc: LLVMToolchain,
    timeout_s: float = 60.0,
    memory_mb: int = 4096,
    include_dirs: tuple[str, ...] = (),
) -> tuple[str | None, str]:
    """Compile a program to textual LLVM IR.

    Args:
        source: program text.
        language: ``C++`` or ``C``.
        opt_level: ``O0``, ``O1``, ``O2``, ``O3``, ``Os`` or ``Oz``.
        tc: the toolchain.
        include_dirs: ``-I`` directories (a source tree's own headers, e.g. the file's directory).

    Returns:
        ``(ir, "")`` or ``(None, reason)`` with reason ``compile_error``, ``timeout``
        or ``resource_limit``.

    Raises:
        ValueError: an unknown optimisation level or language.
    """
    if opt_level not in ("O0", "O1", "O2", "O3", "Os", "Oz"):
        raise ValueError(f"unknown optimisation level {opt_level!r}")
    if language not in ("C++", "C"):
        raise ValueError(f"unknown language {language!r}")
    ext, cc, flags = (".cpp", tc.clangxx, CXX_FLAGS) if language == "C++" else (".c", tc.clang, C_FLAGS)
    with tempfile.TemporaryDirectory(prefix="cfdpo-ir-", dir=run_temp_root()) as d:
        with open(os.path.join(d, "prog" + ext), "w", encoding="utf-8") as f:
            f.write(source)
        incs = [f"-I{d}" for d in include_dirs]
        cmd = [
            cc,
            *flags,
            *incs,
            "-S",
            "-emit-llvm",
            f"-{opt_level}",
            "-fno-discard-value-names",
            "-w",
            "-o",
            "prog.ll",
            "prog" + ext,
        ]
        out = run_limited(cmd, d, timeout_s, memory_mb)
        if out.timed_out:
            return None, "timeout"
        if out.returncode != 0:
            return None, "resource_limit" if out.returncode is not None and out.returncode < 0 else "compile_error"
        with open(os.path.join(d, "prog.ll"), encoding="utf-8", errors="replace") as f:
            return f.read(), ""


def _strip_comment(line: str) -> str:
    """The line without a trailing ``; comment`` (a ``;`` inside a quoted string is not one)."""
    quoted = False
    for i, c in enumerate(line):
        if c == '"':
            quoted = not quoted
        elif c == ";" and not quoted:
            return line[:i].rstrip()
    return line


def _drop_debug_tuple_members(lines: list[str]) -> list[str]:
    """Remove references to debug-info nodes (``!DI...``) from metadata tuples such as loop metadata."""
    debug = {m.group(1) for line in lines if (m := re.match(r"^!(\d+) = (?:distinct )?!DI", line))}
    if not debug:
        return lines
    out = []
    for line in lines:
        m = re.match(r"^(!\d+ = (?:distinct )?!\{)(.*)(\})$", line)
        if m:
            items = [x.strip() for x in m.group(2).split(",")] if m.group(2).strip() else []
            items = [x for x in items if not (x.startswith("!") and x[1:].isdigit() and x[1:] in debug)]
            line = m.group(1) + ", ".join(items) + m.group(3)
        out.append(line)
    return out


def _drop_unreferenced_metadata(lines: list[str]) -> list[str]:
    """Remove numbered metadata nodes no longer referenced (transitively) from the rest of the module."""
    node = re.compile(r"^!(\d+) = ")
    defs = {int(m.group(1)): i for i, line in enumerate(lines) if (m := node.match(line))}
    refs = re.compile(r"!(\d+)\b")
    live: set[int] = set()
    todo = [int(x) for i, line in enumerate(lines) if i not in defs.values() for x in refs.findall(line)]
    while todo:
        n = todo.pop()
        if n in live:
            continue
        live.add(n)
        if n in defs:
            todo += [int(x) for x in refs.findall(lines[defs[n]].split("=", 1)[1])]
    dead = {i for n, i in defs.items() if n not in live}
    return [line for i, line in enumerate(lines) if i not in dead]


def clean_ir(ir: str, steps: Iterable[str] = CLEAN_STEPS) -> str:
    """Remove what a model should not learn from.

    Steps (see :data:`CLEAN_STEPS`): ``target`` (datalayout and triple),
    ``debug`` (``!dbg`` attachments, ``llvm.dbg.*`` calls and declarations),
    ``ident_flags`` (``!llvm.ident``, ``!llvm.module.flags``), ``attributes``
    (attribute groups and their ``#N`` references), ``comments`` (``;`` lines,
    trailing comments and ``source_filename``). Metadata nodes left unreferenced
    are removed too.

    Raises:
        ValueError: an unknown step.
    """
    steps = tuple(steps)
    unknown = set(steps) - set(CLEAN_STEPS)
    if unknown:
        raise ValueError(f"unknown IR cleaning step(s) {sorted(unknown)}; known: {CLEAN_STEPS}")
    out: list[str] = []
    for line in ir.split("\n"):
        s = line.strip()
        if "target" in steps and (s.startswith(("target datalayout", "target triple"))):
            continue
        if "ident_flags" in steps and (s.startswith(("!llvm.ident", "!llvm.module.flags"))):
            continue
        if "comments" in steps:
            if s.startswith((";", "source_filename")):
                continue
            line = _strip_comment(line)
        if "debug" in steps:
            if (
                re.search(r"call void @llvm\.dbg\.", line)
                or re.match(r"declare void @llvm\.dbg\.", s)
                or s.startswith("!llvm.dbg.")
            ):
                continue
            line = re.sub(r",? !dbg !\d+", "", line)
        if "attributes" in steps:
            if s.startswith("attributes #"):
                continue
            if 'c"' not in line:
                line = re.sub(r" #\d+(?=[ ,{]|$)", "", line)
        out.append(line)
    if "debug" in steps:
        out = _drop_debug_tuple_members(out)
    if {"ident_flags", "debug"} & set(steps):
        out = _drop_unreferenced_metadata(out)
    text = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def verify_ir(ir: str, tc: LLVMToolchain, timeout_s: float = 60.0) -> tuple[bool, str]:
    """Whether the IR parses and passes the verifier (``opt -passes=verify``); the error text if not."""
    with tempfile.TemporaryDirectory(prefix="cfdpo-ir-", dir=run_temp_root()) as d:
        with open(os.path.join(d, "m.ll"), "w", encoding="utf-8") as f:
            f.write(ir)
        out = run_limited([tc.opt, "-passes=verify", "-disable-output", "m.ll"], d, timeout_s)
        return out.returncode == 0, out.stderr.strip()[:2000]


def ir_instruction_count(ir: str) -> int:
    """Instructions in function bodies (lines inside ``define ... {`` / ``}`` that are not labels)."""
    n = 0
    inside = False
    for line in ir.split("\n"):
        if line.startswith("define "):
            inside = True
            continue
        if inside and line.startswith("}"):
            inside = False
            continue
        s = line.strip()
        if inside and s and not s.startswith(";") and not re.match(r"^[\w.$-]+:", s):
            n += 1
    return n


def _shingles(text: str, n: int) -> set[bytes]:
    toks = re.findall(r"\w+|[^\w\s]", text)
    if len(toks) <= n:
        return {" ".join(toks).encode()}
    return {" ".join(toks[i : i + n]).encode() for i in range(len(toks) - n + 1)}


def dedup_minhash(texts: list[str], threshold: float = 0.5, ngram: int = 8, num_perm: int = 128, seed: int = 1) -> list[int]:
    """Indices of the texts to keep: the first of each group of near-duplicates.

    Jaccard similarity of token n-gram sets estimated with MinHash and found with
    LSH (datasketch), as in IRCoder (n = 8, threshold 0.5).
    """
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    keep: list[int] = []
    for i, t in enumerate(texts):
        mh = MinHash(num_perm=num_perm, seed=seed)
        mh.update_batch(list(_shingles(t, ngram)))
        if lsh.query(mh):
            continue
        lsh.insert(str(i), mh)
        keep.append(i)
    return keep


def pair_rows(row: dict[str, Any]) -> list[dict[str, Any]]:
    """Both training directions of one (source, IR) row, as prompt/completion rows for ``cfdpo sft``."""
    src, ir = row["source"].strip(), row["ir"].strip()
    meta = {"id": row["id"], "opt_level": row["opt_level"], "language": row["language"]}
    return [
        {**meta, "direction": "source_to_llvm", "prompt": f"{SENTINELS[0]}\n{src}\n", "completion": ir},
        {**meta, "direction": "llvm_to_source", "prompt": f"{SENTINELS[1]}\n{ir}\n", "completion": src},
    ]


def add_sentinel_tokens(tokenizer: Any, model: Any = None, tokens: Iterable[str] = SENTINELS) -> list[int]:
    """Add the direction tokens as special tokens; new embedding rows start at the mean of the old ones.

    Args:
        tokenizer: a transformers tokenizer.
        model: optional causal LM whose (input and, if untied, output) embeddings are resized.

    Returns:
        The ids of the tokens.
    """
    new = [t for t in tokens if t not in tokenizer.get_vocab()]
    if new:
        tokenizer.add_special_tokens({"additional_special_tokens": new}, replace_extra_special_tokens=False)
    ids = tokenizer.convert_tokens_to_ids(list(tokens))
    if model is not None and new:
        import torch

        emb = model.get_input_embeddings().weight
        old_n = emb.shape[0]
        model.resize_token_embeddings(len(tokenizer), mean_resizing=False)
        with torch.no_grad():
            for layer in {
                id(x): x for x in (model.get_input_embeddings(), model.get_output_embeddings()) if x is not None
            }.values():
                w = layer.weight
                if w.shape[0] > old_n:
                    w[old_n:] = w[:old_n].mean(dim=0, keepdim=True)
    return ids
