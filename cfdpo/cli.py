"""``cfdpo`` command line: thin dispatch, one subcommand to one module in ``cfdpo.commands``.

Subcommand modules are imported only when run, so ``cfdpo --help`` is fast.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from typing import Sequence

COMMANDS = {
    "evaluate": ("cfdpo.commands.evaluate", "compile rate of a model's greedy completions on masked programs"),
    "build-prefs": ("cfdpo.commands.build_prefs", "sample, judge with g++, write (prompt, chosen, rejected) pairs"),
    "sft": ("cfdpo.commands.sft", "supervised fine-tuning with LoRA / QLoRA / unsloth (TRL SFTTrainer)"),
    "dpo": ("cfdpo.commands.dpo", "preference training: --loss sigmoid (DPO) or dpop (DPO-Positive)"),
    "pipeline": ("cfdpo.commands.pipeline", "base eval, SFT, prefs, DPO and DPOP, evals, report (paper Table 1)"),
    "llvm-ir": ("cfdpo.commands.llvm_ir", "source <-> LLVM IR pairs (clang -O0/-Oz/-O3, cleaned, verified, deduplicated)"),
    "pass-lists": ("cfdpo.commands.pass_lists", "opt pass lists: emulate (random lists) or tune (search, minimise, validate)"),
    "data": ("cfdpo.commands.data", "load a CodeNet-layout corpus, compile-check, mask; write prompts"),
    "score": ("cfdpo.commands.score", "compile C++ files with the compile scorer and print verdicts"),
    "env": ("cfdpo.commands.env", "print versions, g++, the default model's location"),
}


def _usage() -> str:
    width = max(len(c) for c in COMMANDS)
    lines = ["usage: cfdpo <command> [--config FILE.yaml] [options]", "", "commands:"]
    lines += [f"  {name:<{width}}  {help_}" for name, (_, help_) in COMMANDS.items()]
    lines += ["", "cfdpo <command> --help shows a command's options."]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage())
        return 0 if argv else 2
    if argv[0] in ("-V", "--version"):
        from . import __version__

        print(f"cfdpo {__version__}")
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"cfdpo: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    logging.basicConfig(level=os.environ.get("CFDPO_LOG", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    module = importlib.import_module(COMMANDS[name][0])
    try:
        return int(module.main(rest) or 0)
    except (ValueError, FileNotFoundError) as e:
        logging.getLogger("cfdpo").error("%s", e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
