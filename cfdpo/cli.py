"""``cfdpo`` command line: thin dispatch, one subcommand to one module in ``cfdpo.commands``.

Subcommand modules are imported only when run, so ``cfdpo --help`` is fast.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import sys
from collections.abc import Sequence

COMMANDS = {
    "evaluate": (
        "cfdpo.commands.evaluate",
        "compile rate and pass@1 of greedy completions; --repair_turns K: repair@k from compiler feedback",
    ),
    "build-prefs": ("cfdpo.commands.build_prefs", "sample, judge with g++, write (prompt, chosen, rejected) pairs"),
    "sft": ("cfdpo.commands.sft", "supervised fine-tuning with LoRA / QLoRA / unsloth (TRL SFTTrainer)"),
    "dpo": ("cfdpo.commands.dpo", "preference training: --loss sigmoid (DPO) or dpop (DPO-Positive)"),
    "kto": ("cfdpo.commands.kto", "KTO on unpaired verdicts (prompt, completion, label = compiled) from samples"),
    "grpo": ("cfdpo.commands.grpo", "online RL (TRL GRPOTrainer) with the compiler as the reward: graded, compile, test"),
    "repair-data": ("cfdpo.commands.repair_data", "repair SFT / preference rows from failed samples' compiler feedback"),
    "pipeline": ("cfdpo.commands.pipeline", "base eval, SFT, prefs, DPO and DPOP, evals, report (paper Table 1)"),
    "compare": ("cfdpo.commands.compare", "compare evaluations: Wilson intervals, McNemar tests on per-program verdicts"),
    "tables": ("cfdpo.commands.tables", "rewrite (or --check) README's result tables from the committed results/"),
    "loop": ("cfdpo.commands.loop", "on-policy rounds: sample from the policy, judge with g++, DPO, evaluate"),
    "llvm-ir": (
        "cfdpo.commands.llvm_ir",
        "source <-> LLVM IR pairs and (asm, IR) disassembly rows (cleaned, verified, deduplicated)",
    ),
    "pass-lists": ("cfdpo.commands.pass_lists", "opt pass lists: emulate (random lists) or tune (search, minimise, validate)"),
    "compiler-eval": (
        "cfdpo.commands.compiler_eval",
        "score a model on compiler tasks: emulate, tune (pass lists), disassemble (LLM Compiler)",
    ),
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


def _say(name: str, text: str) -> None:
    """One line on stderr: ``cfdpo <command>: <text>`` (newlines folded)."""
    one = " ".join(str(text).split("\n")).strip()
    print(f"cfdpo {name}: {one}", file=sys.stderr, flush=True)


class _OncePerKind(logging.Filter):
    """Let a library's repeated per-example warning through once (TRL warns once per row).

    Records from other packages' loggers (``trl``, ``transformers``, ``datasets``, ``peft``)
    whose first 60 characters were seen before are dropped; cfdpo's own lines always pass.
    """

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[tuple[str, str]] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("cfdpo") or record.levelno >= logging.ERROR:
            return True
        key = (record.name, record.getMessage()[:60])
        if key in self.seen:
            return False
        self.seen.add(key)
        return True


class _OwnLinesOnly(logging.Filter):
    """On the console at the default level: cfdpo's own records, and anyone's errors. Everything else
    still reaches the run's ``run.log`` (:func:`cfdpo.runinfo.run_directory`); ``--verbose`` or
    ``CFDPO_LOG=DEBUG`` shows it all."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.name.startswith("cfdpo") or record.levelno >= logging.ERROR


def _quiet_third_party() -> None:
    """Libraries that print past logging: vLLM (its engine processes log on their own) and tqdm bars of
    checkpoint loading inside the engine are told to keep to errors; cfdpo's own bars are unaffected."""
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "ERROR")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    os.environ.setdefault("DATASETS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # transformers' weight-loading bars
    os.environ.setdefault("PYTHONWARNINGS", "ignore")  # for the engine's spawned processes; ours are captured


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread like KeyboardInterrupt is for SIGINT."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated()


def _cpu_data_parallel() -> None:
    """Under ``accelerate launch`` / torchrun (``WORLD_SIZE`` > 1) on a machine without CUDA, tell accelerate
    that the processes are CPU workers (``ACCELERATE_USE_CPU``), so that they form one data-parallel group
    over gloo (``recipes/accelerate/ddp_cpu.yaml``); without it each process would train alone."""
    if int(os.environ.get("WORLD_SIZE", "1") or 1) > 1 and "ACCELERATE_USE_CPU" not in os.environ:
        import torch

        if not torch.cuda.is_available():
            os.environ["ACCELERATE_USE_CPU"] = "true"


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; returns its exit code.

    Errors the user can fix (:class:`cfdpo.errors.CfdpoError`, ``ValueError``,
    ``FileNotFoundError``) print one line ``cfdpo <command>: error: ...`` and
    exit 1 (input) or 2 (usage); ``--debug`` or ``CFDPO_DEBUG=1`` re-raises them
    with the traceback. SIGINT and SIGTERM end the run with one line and exit
    130 / 143; rows are written a whole batch at a time, so the same command resumes.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = os.environ.get("CFDPO_DEBUG", "") not in ("", "0")
    if "--debug" in argv:
        argv.remove("--debug")
        debug = True
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage())
        return 0 if argv else 2
    if argv[0] in ("-V", "--version"):
        from . import __version__

        print(f"cfdpo {__version__}")
        return 0
    name, rest = argv[0], argv[1:]
    _cpu_data_parallel()
    if name not in COMMANDS:
        print(f"cfdpo: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    verbose = os.environ.get("CFDPO_LOG", "").upper() == "DEBUG"
    if "--verbose" in rest:
        rest.remove("--verbose")
        verbose = True
    if verbose:
        os.environ["CFDPO_VERBOSE"] = "1"  # engines started by this run print on the console too
    logging.basicConfig(level=os.environ.get("CFDPO_LOG", "INFO"), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.captureWarnings(True)  # warnings.warn of libraries: records of "py.warnings", routed like the rest
    for handler in logging.getLogger().handlers:
        handler.addFilter(_OncePerKind())
        if not verbose:
            handler.addFilter(_OwnLinesOnly())
    if not verbose:
        _quiet_third_party()
    # bitsandbytes warns on every import on a CPU that an optional hub-downloaded kernel is missing; its
    # own NF4 code runs instead (QLoRA on the CPU is tested), so the line says nothing a user can act on
    logging.getLogger("bitsandbytes.backends.cpu.ops").setLevel(logging.ERROR)
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if _main_thread() else None
    from .errors import CfdpoError
    from .tempdirs import kill_orphaned_engines, remove_run_temp_root, sweep_dead_roots

    sweep_dead_roots()  # what killed runs left behind
    kill_orphaned_engines()

    try:
        module = importlib.import_module(COMMANDS[name][0])
        return int(module.main(rest) or 0)
    except CfdpoError as e:
        if debug:
            raise
        _say(name, f"error: {e}")
        return e.exit_code
    except (ValueError, FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError) as e:
        if debug:
            raise
        _say(name, f"error: {e}")
        return 1
    except SystemExit as e:  # --help
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except (KeyboardInterrupt, _Terminated) as e:
        remove_run_temp_root()
        _say(name, "interrupted; run the same command again to resume")
        return 143 if isinstance(e, _Terminated) else 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


if __name__ == "__main__":
    sys.exit(main())
