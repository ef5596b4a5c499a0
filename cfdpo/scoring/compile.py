"""The compile scorer: g++ as an objective judge of model-written C++.

:class:`CompileScorer` compiles one program per call in a private temporary
directory and returns a :class:`CompileResult` with a verdict and the parsed
diagnostics. It imports nothing outside the standard library (no torch), so any
code can embed it.

What is isolated and what is not
--------------------------------
Each compile runs with: its own fresh temporary directory as working directory
and ``TMPDIR`` (removed afterwards, always); stdin closed; a minimal environment
(``PATH``, ``LC_ALL=C``); a wall-clock timeout after which the whole process
group (driver, cc1plus, as, ld) is killed; an address-space limit
(``RLIMIT_AS``), a file-size limit (``RLIMIT_FSIZE``) and no core dumps, applied
through util-linux ``prlimit`` (or ``preexec_fn`` when ``prlimit`` is missing);
stderr written to a file in the temporary directory and read back capped.

With ``isolation="auto"`` (the default) and bubblewrap usable, the compiler
also runs in new mount/PID/network namespaces that show it only ``/usr``, its
temporary directory and the precompiled-header directory (see
:mod:`cfdpo.scoring.sandbox`): ``#include "/etc/passwd"`` then fails with "No
such file", so no file outside those can appear in a diagnostic; as root the
compiler runs there as an unprivileged uid without capabilities. Without
bubblewrap (``isolation="rlimits"``, or where a container forbids namespaces)
Landlock, where the kernel has it, confines the compiler to ``/usr``, its
directory and the PCH directory (:mod:`cfdpo.scoring.landlock`); without
Landlock either, it sees the caller's file system and any file the caller can
read can be included and quoted in diagnostics. Not isolated in either case: the kernel
(no seccomp) and timing. Compiling does not run the program; running is a
separate, explicit opt-in (:mod:`cfdpo.scoring.execution`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .compile_cache import ResultCache
from .compile_process import CompilerProcesses
from .compile_result import CompileResult
from .diagnostics import SOURCE_NAME
from .pch import PCHCache
from .sandbox import Sandbox
from .verdict import Verdict, compiler_version

__all__ = ["CompileResult", "CompileScorer", "Verdict", "compiler_version"]

log = logging.getLogger(__name__)

#: GCC's spelling suggestions, whose tie-breaks depend on hash-table order (a PCH changes it)
_HINTS = ("did you mean", "suggested alternative")


def _has_hint(message: str) -> bool:
    return any(h in message for h in _HINTS)


class CompileScorer(ResultCache, CompilerProcesses):
    """Compile C++ sources with g++ and judge them.

    Its parts: how g++ runs (:class:`~cfdpo.scoring.compile_process.CompilerProcesses`), the result cache
    (:class:`~cfdpo.scoring.compile_cache.ResultCache`) and the PCHs (:class:`~cfdpo.scoring.pch.PCHCache`).

    Args:
        std: the ``-std=`` value (``c++17`` as in the paper).
        mode: ``link`` (full build to an executable), ``object`` (``-c``) or
            ``syntax`` (``-fsyntax-only``: fast, but misses middle-end warnings
            such as -Wreturn-type, so an ``ok`` here is weaker than a full build).
        warnings: ``error`` (the paper's policy: a compile with warnings is not
            good) or ``allow`` (only errors make a compile bad).
        timeout_s: wall-clock limit per compile, seconds.
        memory_mb: address-space limit per compile, MiB.
        extra_flags: further g++ flags (e.g. ``("-Wall",)``); part of the policy
            and recorded in :meth:`config`.
        compiler: the compiler executable.
        max_stderr_chars: cap on the stderr kept in a result.
        output_limit_mb: file-size limit for anything the compiler writes, MiB.
        tmp_root: where temporary directories are made (default: this process's root under the system's,
            see :mod:`cfdpo.tempdirs`).
        cache_dir: a directory for a content-hash cache of results (source, flags,
            limits and compiler version -> result), shared across runs and safe
            under concurrent writers (atomic renames); None disables it.
        pch: compile against a precompiled header of each program's include
            preamble (see :mod:`cfdpo.scoring.pch`); verdicts and diagnostic line
            numbers are unchanged, and a plain compile is used wherever a PCH
            cannot be built. On by default, like ``fast_link``: the no-argument
            scorer is the fast one the commands use.
        pch_dir: where PCHs are kept (default: ``cache_dir/pch``, else a private
            temporary directory removed at exit).
        syntax_first: in ``link``/``object`` mode, run ``-fsyntax-only`` first and
            stop there on an error (final: same verdict and diagnostics); programs
            that pass still get their full build.
        isolation: ``auto`` (bubblewrap namespaces when usable, else limits only), ``bwrap`` or ``rlimits``;
            see :mod:`cfdpo.scoring.sandbox`.
        fast_link: in ``link`` mode, compile with ``-c`` and link the object with
            GNU gold (about 20 ms instead of GNU ld's 75 ms here); whenever gold
            fails or prints anything, the object is linked again with the
            default linker and that outcome is the result, so a failing link
            reports exactly the default linker's diagnostics. Off where gold is
            not installed or the flags choose a linker or LTO themselves.
        hint_rechecks: compile a PCH build again without the PCH when one of its diagnostics carries a
            spelling hint ("did you mean 'X'?": GCC breaks ties between equally close names in hash-table
            order, which a PCH changes) or names the PCH's header, so diagnostics are plain g++'s word for
            word (on by default). Off, the verdict and each error's kind, file and line are still the plain
            build's, only the text of such a hint may differ: the rewards' default, where those rebuilds
            were 8% of the programs and a fifth of the compile time.

    Raises:
        ValueError: an unknown ``mode`` or ``warnings`` value, or a non-positive limit.
        FileNotFoundError: the compiler is not installed.
    """

    MODES = ("link", "object", "syntax")
    WARNING_POLICIES = ("error", "allow")

    def __init__(
        self,
        std: str = "c++17",
        mode: str = "link",
        warnings: str = "error",
        timeout_s: float = 30.0,
        memory_mb: int = 2048,
        extra_flags: Sequence[str] = (),
        compiler: str = "g++",
        max_stderr_chars: int = 20_000,
        output_limit_mb: int = 256,
        tmp_root: str | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        pch: bool = True,
        pch_dir: str | os.PathLike[str] | None = None,
        syntax_first: bool = False,
        isolation: str = "auto",
        fast_link: bool = True,
        hint_rechecks: bool = True,
    ) -> None:
        if mode not in self.MODES:
            raise ValueError(f"mode must be one of {self.MODES}, got {mode!r}")
        if warnings not in self.WARNING_POLICIES:
            raise ValueError(f"warnings must be one of {self.WARNING_POLICIES}, got {warnings!r}")
        if timeout_s <= 0 or memory_mb <= 0 or output_limit_mb <= 0:
            raise ValueError("timeout_s, memory_mb and output_limit_mb must be positive")
        self.std = std
        self.mode = mode
        self.warnings = warnings
        self.timeout_s = float(timeout_s)
        self.memory_mb = int(memory_mb)
        self.extra_flags = tuple(extra_flags)
        self.compiler = compiler
        self.max_stderr_chars = int(max_stderr_chars)
        self.output_limit_mb = int(output_limit_mb)
        self.tmp_root = tmp_root
        self._compiler_path = shutil.which(compiler)
        if self._compiler_path is None:
            raise FileNotFoundError(f"compiler {compiler!r} not found on PATH; install it (Debian: apt-get install g++)")
        self.cache_dir = os.fspath(cache_dir) if cache_dir is not None else None
        self._policy_key: str | None = None
        self.syntax_first = bool(syntax_first)
        self.hint_rechecks = bool(hint_rechecks)
        #: time and count per stage (``syntax_ms``, ``syntax_stops``, ``full_ms``, ``full_builds``, ``cache_hits``)
        self.stats: Counter = Counter()
        self._stats_lock = threading.Lock()
        self.sandbox = Sandbox(isolation)
        self.fast_link = (
            bool(fast_link)
            and mode == "link"
            and shutil.which("ld.gold") is not None
            and not any(f.startswith(("-fuse-ld", "-flto", "-B")) for f in self.extra_flags)
        )
        self.pch: PCHCache | None = None
        if pch:
            where = pch_dir if pch_dir is not None else (os.path.join(self.cache_dir, "pch") if self.cache_dir else None)
            self.pch = PCHCache(self, where)

    # ------------------------------------------------------------------ policy
    def base_flags(self) -> list[str]:
        """The flags every compile shares (also those a precompiled header is built with)."""
        return [f"-std={self.std}", "-fdiagnostics-format=json", *self.extra_flags]

    def argv(self, mode: str | None = None, include: str | None = None) -> list[str]:
        """The compiler argv for a program (relative to the temp dir).

        Args:
            mode: override the scorer's mode (the syntax-only first step uses ``syntax``).
            include: a header to force-include (``-include``), used for precompiled headers.
        """
        mode = mode or self.mode
        cmd = [self.compiler, *self.base_flags()]
        if include:
            cmd += ["-include", include]
        if mode == "syntax":
            cmd.append("-fsyntax-only")
        elif mode == "object":
            cmd += ["-c", "-o", "prog.o"]
        else:
            cmd += ["-o", "prog"]
        cmd.append(SOURCE_NAME)
        return cmd

    def config(self) -> dict[str, Any]:
        """The full policy, for results.json: every flag and limit, and the compiler version."""
        return {
            "compiler": self.compiler,
            "compiler_version": compiler_version(self.compiler),
            "std": self.std,
            "mode": self.mode,
            "warnings": self.warnings,
            "extra_flags": list(self.extra_flags),
            "command": self.argv(),
            "timeout_s": self.timeout_s,
            "memory_mb": self.memory_mb,
            "output_limit_mb": self.output_limit_mb,
            "isolation": self.sandbox.kind,
        }

    def speedups(self) -> dict[str, Any]:
        """How results are computed faster (not part of the policy: they never change a verdict)."""
        return {
            "pch": self.pch is not None,
            "syntax_first": self.syntax_first,
            "result_cache": self.cache_dir is not None,
            "fast_link": self.fast_link,
            "hint_rechecks": self.hint_rechecks,
        }

    def is_good(self, verdict: Verdict) -> bool:
        """Whether a verdict counts as a successful compile under this policy."""
        return verdict is Verdict.OK or (verdict is Verdict.WARNING and self.warnings == "allow")

    # ----------------------------------------------------------------- running
    def score(self, source: str) -> CompileResult:
        """Compile one program and judge it (or return the cached result).

        Args:
            source: the full C++ program text.

        Returns:
            A :class:`CompileResult`; never raises for anything the program does.
            A failure to start the compiler gives verdict ``internal_error``.
        """
        return self._score(source, counted=False)

    def _score(self, source: str, counted: bool) -> CompileResult:
        path = self._cache_path(source)
        cached = self._cache_get(path)
        if cached is not None:
            self._count(cache_hits=1)
            return cached
        result = self._compile(source, counted)
        self._cache_put(path, result)
        return result

    def cached(self, source: str) -> CompileResult | None:
        """The cached result of ``source`` under this scorer's key, or None (no cache, or not cached)."""
        return self._cache_get(self._cache_path(source))

    def build(self, source: str, directory: str) -> CompileResult:
        """Compile and link ``source`` as :meth:`score` does (the same verdict, the same plain rechecks) and
        leave the executable as ``directory/prog`` when there is one; the result goes into the cache.

        With a ``mode`` other than ``link`` the verdict is the policy's and the executable comes from one
        more plain link build. Never raises for anything the program does.
        """
        if self.mode != "link":
            result = self.score(source)
            text, include = self.pch.prepare(source) if self.pch is not None else (source, None)
            with open(os.path.join(directory, SOURCE_NAME), "w", encoding="utf-8", errors="surrogateescape") as f:
                f.write(text)
            self._run_in(directory, self.argv("link", include))
            for name in (SOURCE_NAME, "prog.o"):
                with contextlib.suppress(OSError):
                    os.remove(os.path.join(directory, name))
            return result
        result = self._compile(source, keep=directory)
        self._cache_put(self._cache_path(source), result)
        return result

    def _compile(self, source: str, counted: bool = False, keep: str | None = None) -> CompileResult:
        """The verdict of a plain build, computed the fast way where that is provably the same.

        The fast way (PCH, fast link, syntax first) is checked against a plain build whenever it could
        differ: a ``timeout`` or ``resource_limit`` (a PCH is mapped into the address space; the fast link
        runs three commands), an ``internal_error``, and, through a PCH, a diagnostic with a spelling hint
        (GCC breaks ties between equally close names in hash-table order, which loading a PCH changes) or
        one about the PCH's own header are answered by one plain build with the plain limits, whose result
        is returned.
        """
        text, include = source, None
        if self.pch is not None:
            text, include = self.pch.prepare(source, counted)
        fast = include is not None or self.fast_link or (self.syntax_first and self.mode != "syntax")
        result = self._compile_fast(text, include, keep)
        if fast and (
            result.verdict in (Verdict.TIMEOUT, Verdict.RESOURCE_LIMIT, Verdict.INTERNAL_ERROR)
            or (
                include is not None
                and self.hint_rechecks
                and any(_has_hint(d.message) or include in d.message or include in (d.file or "") for d in result.diagnostics)
            )
        ):
            self._count(plain_rechecks=1)
            plain = self._run(source, [self.argv(None, None)], keep)
            plain.elapsed_ms += result.elapsed_ms
            return plain
        return result

    def _compile_fast(self, text: str, include: str | None, keep: str | None = None) -> CompileResult:
        first: CompileResult | None = None
        if self.syntax_first and self.mode != "syntax":
            first = self._run(text, [self.argv("syntax", include)])
            self._count(syntax_ms=first.elapsed_ms, syntax_runs=1)
            # -fsyntax-only runs the whole front end: an error there is an error of the full build too,
            # with the same diagnostics (the middle end never runs on a program with errors)
            if first.verdict in (Verdict.ERROR, Verdict.TIMEOUT, Verdict.RESOURCE_LIMIT):
                self._count(syntax_stops=1)
                return first
        full = self._run(text, self.build_steps(include), keep)
        self._count(full_ms=full.elapsed_ms, full_builds=1)
        if first is not None:
            full.elapsed_ms += first.elapsed_ms
        return full

    def build_steps(self, include: str | None = None) -> list[list[str]]:
        """The commands of a full build in the policy's mode: one, or with ``fast_link`` the triple
        (compile with ``-c``, link with gold, link again with the default linker) that :meth:`_run` takes."""
        if self.fast_link:
            return [self.argv("object", include), self._link_argv("gold"), self._link_argv()]
        return [self.argv(None, include)]

    def _link_argv(self, linker: str | None = None) -> list[str]:
        """Link ``prog.o`` to ``prog`` with the policy's flags (``linker``: e.g. ``gold``; None: the default)."""
        use = [f"-fuse-ld={linker}"] if linker else []
        return [self.compiler, *self.base_flags(), *use, "prog.o", "-o", "prog"]

    def _count(self, **kw: float) -> None:
        with self._stats_lock:
            self.stats.update(kw)

    def score_many(
        self,
        sources: Iterable[str],
        workers: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> list[CompileResult]:
        """Compile many programs in parallel; results keep the input order.

        Identical sources are compiled once and share one result object.

        Args:
            sources: programs to compile.
            workers: parallel compiles (default: the number of CPUs).
            progress: called with 1 after each distinct compile finishes.
        """
        srcs = list(sources)
        unique = list(dict.fromkeys(srcs))
        if self.pch is not None:
            self.pch.expect([s for s in unique if self.cached(s) is None])
        workers = max(1, workers or os.cpu_count() or 1)
        results: dict[str, CompileResult] = {}

        def one(s: str) -> tuple[str, CompileResult]:
            r = self._score(s, counted=True)
            if progress is not None:
                progress(1)
            return s, r

        if workers == 1 or len(unique) <= 1:
            for s in unique:
                results.update([one(s)])
        else:
            pool = ThreadPoolExecutor(max_workers=workers)
            try:
                results.update(pool.map(one, unique))
            finally:  # on an interrupt, queued compiles are dropped; running ones finish and clean up
                pool.shutdown(wait=True, cancel_futures=True)
        return [results[s] for s in srcs]
