"""Running the compiler: one command, or the fast-link triple, in a fresh temporary directory under the
scorer's limits and sandbox, judged into a :class:`~cfdpo.scoring.compile_result.CompileResult`.

:class:`CompilerProcesses` is a part of :class:`~cfdpo.scoring.compile.CompileScorer` (which inherits it);
it reads the scorer's limits, sandbox and PCH directory.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..tempdirs import run_temp_root
from .compile_result import CompileResult, CompilerStartError, read_capped
from .diagnostics import SOURCE_NAME, Diagnostic, parse_gcc_output
from .limits import launch
from .sandbox import COMPILE_UID, Limits, Sandbox
from .verdict import Verdict

if TYPE_CHECKING:
    from .pch import PCHCache

__all__ = ["CompilerProcesses"]

log = logging.getLogger(__name__)

_MEMORY_MARKERS = (
    "memory exhausted",
    "out of memory",
    "Cannot allocate memory",
    "Killed signal terminated program",
    "File size limit exceeded",
    "error while loading shared libraries",
)


class CompilerProcesses:
    """How the scorer runs g++ (see :meth:`_run`): its limits, sandbox and verdict rules."""

    compiler: str
    timeout_s: float
    memory_mb: int
    output_limit_mb: int
    max_stderr_chars: int
    tmp_root: str | None
    sandbox: Sandbox
    pch: PCHCache | None
    _compiler_path: str | None
    is_good: Callable[[Verdict], bool]
    _count: Callable[..., None]

    def _run(self, source: str, steps: list[list[str]], keep: str | None = None) -> CompileResult:
        """Compile ``source`` (as prog.cpp) in a fresh temporary directory, always removed.

        ``steps`` is one command, or the fast-link triple (compile with ``-c``, link
        with gold, link with the default linker): the first link runs only after a
        clean compile, the second only when the first failed or printed anything.
        ``keep``: a directory the executable ``prog`` is moved into (replacing one there), when one was made.
        """
        tmp = tempfile.mkdtemp(prefix="cfdpo-gxx-", dir=self.tmp_root or run_temp_root())
        try:
            with open(os.path.join(tmp, SOURCE_NAME), "w", encoding="utf-8", errors="surrogateescape") as f:
                f.write(source)
            if len(steps) == 1:
                result = self._run_in(tmp, steps[0])
            else:
                try:
                    result = self._run_linked(tmp, *steps)
                except CompilerStartError as e:
                    result = CompileResult(Verdict.INTERNAL_ERROR, False, None, stderr=str(e), command=steps[0])
            if keep is not None:
                made = os.path.join(tmp, "prog")
                if os.path.isfile(made) and result.returncode == 0:
                    shutil.move(made, os.path.join(keep, "prog"))
            return result
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _run_linked(self, tmp: str, compile_cmd: list[str], fast: list[str], slow: list[str]) -> CompileResult:
        """The fast-link triple under one wall-clock budget, ``timeout_s`` for all three commands together."""
        rc, timed_out, stderr, truncated, ms = self._exec(tmp, compile_cmd)
        if rc != 0:
            return self._judge(rc, timed_out, stderr, truncated, ms, compile_cmd)
        rc2, timed_out, out2, trunc2, ms2 = self._exec(tmp, fast, self.timeout_s - ms / 1000.0)
        link_cmd = fast
        if not timed_out and (rc2 != 0 or out2.strip()):
            self._count(slow_links=1)
            rc2, timed_out, out2, trunc2, ms3 = self._exec(tmp, slow, self.timeout_s - (ms + ms2) / 1000.0)
            ms2 += ms3
            link_cmd = slow
        return self._judge(rc2, timed_out, stderr + out2, truncated or trunc2, ms + ms2, [*compile_cmd, "&&", *link_cmd])

    def _run_in(self, workdir: str, cmd: list[str]) -> CompileResult:
        """Run a compiler command in ``workdir`` under the scorer's limits and judge the outcome."""
        try:
            return self._judge(*self._exec(workdir, cmd), cmd)
        except CompilerStartError as e:
            return CompileResult(Verdict.INTERNAL_ERROR, False, None, stderr=str(e), command=cmd)

    def _exec(self, workdir: str, cmd: list[str], budget_s: float | None = None) -> tuple[int | None, bool, str, bool, float]:
        """Run ``cmd`` in ``workdir`` under the limits: ``(returncode, timed_out, stderr, truncated, ms)``.

        ``returncode`` is None on a timeout and -1 when the compiler could not start. ``budget_s`` is the
        wall-clock time left (default: ``timeout_s``); none left is a timeout without starting.
        """
        budget = self.timeout_s if budget_s is None else budget_s
        if budget <= 0:
            return None, True, "", False, 0.0
        limits = Limits(memory_mb=self.memory_mb, output_mb=self.output_limit_mb)
        readonly = [self.pch.directory] if self.pch is not None else []
        uid = None
        if self.sandbox.kind == "bwrap" and self.sandbox.is_root:  # no root, no capabilities inside
            uid = COMPILE_UID
            os.chown(workdir, uid, uid)
        full = self.sandbox.wrap(
            [self._compiler_path or self.compiler, *cmd[1:]], workdir, limits, writable=True, readonly=readonly, uid=uid
        )
        preexec = self.sandbox.preexec(limits)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "LANG": "C", "TMPDIR": workdir}
        err_path = os.path.join(workdir, "stderr.txt")
        with open(err_path, "wb") as err:
            try:
                rc, timed_out, seconds = launch(full, workdir, env, subprocess.DEVNULL, err, err, budget, preexec)
            except OSError as e:
                log.error("could not start %s: %s", self.compiler, e)
                raise CompilerStartError(str(e)) from e
        elapsed = seconds * 1000.0
        stderr, truncated = read_capped(err_path, max(self.max_stderr_chars, 4_000_000))
        os.remove(err_path)
        return rc, timed_out, stderr, truncated, elapsed

    def _judge(
        self, rc: int | None, timed_out: bool, stderr: str, truncated: bool, elapsed: float, cmd: list[str]
    ) -> CompileResult:
        diags, _json_ok = parse_gcc_output(stderr)
        verdict = self._verdict(rc, timed_out, stderr, diags)
        kept = stderr[: self.max_stderr_chars]
        return CompileResult(
            verdict=verdict,
            good=self.is_good(verdict),
            returncode=rc,
            diagnostics=diags,
            stderr=kept,
            stderr_truncated=truncated or len(stderr) > len(kept),
            elapsed_ms=elapsed,
            command=cmd,
        )

    @staticmethod
    def _verdict(rc: int | None, timed_out: bool, stderr: str, diags: list[Diagnostic]) -> Verdict:
        if timed_out:
            return Verdict.TIMEOUT
        if rc is not None and rc < 0:
            return Verdict.RESOURCE_LIMIT
        if rc != 0:
            if any(m in stderr for m in _MEMORY_MARKERS):
                return Verdict.RESOURCE_LIMIT
            return Verdict.ERROR
        if any(d.kind == "warning" for d in diags):
            return Verdict.WARNING
        return Verdict.OK
