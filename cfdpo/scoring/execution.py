"""The execution scorer: build a program and run it on its sample tests, sandboxed.

Running model-written code is an explicit opt-in (``--run-tests`` on the
command line, like lm-evaluation-harness's ``confirm_run_unsafe_code``);
nothing here runs unless a caller constructs an :class:`ExecutionScorer`.

What is isolated and what is not
--------------------------------
Each program is built by the :class:`~cfdpo.scoring.compile.CompileScorer`
(its own limits and sandbox) in a fresh temporary directory, which is always
removed. Each test case then runs as a separate process:

* with bubblewrap (``isolation="auto"`` where namespaces are allowed, or
  ``"bwrap"``): new mount, PID, network, IPC and UTS namespaces; it sees
  read-only ``/usr``, ``/proc``, a minimal ``/dev``, an empty private ``/tmp``
  and its own build directory read-only, nothing else (no ``/etc``, no
  ``/home``, no network: a connect fails with "network unreachable");
* under ``prlimit``: CPU seconds, address space, file size (stdout and stderr
  are files, so this caps output), process count and open files, no core dumps;
  and a wall-clock timeout that kills the whole sandbox;
* as an unprivileged uid when the caller is root (``setpriv``), one uid per
  concurrent run so that the per-uid process limit holds a fork bomb;
* stdin is the test's input file, stdout and stderr go to files outside the
  sandbox and are read back capped; the environment is cleared.

Without bubblewrap (missing, or a container that forbids namespaces) programs
run only when ``isolation="rlimits"`` is given (``auto`` refuses:
:class:`~cfdpo.scoring.sandbox.SandboxRefused`); then the limits, Landlock
where the kernel has it (read-only ``/usr`` and the program's directory, no
other file, no TCP, no signals outside: :mod:`cfdpo.scoring.landlock`) and,
as root, the uid change apply. Children that leave the process group are
killed after each test by session and descent (:func:`~cfdpo.scoring.limits.kill_session_tree`,
the scorer being a child subreaper so that a ``setsid`` daemon's orphan comes
back to it), and as root also by uid (``kill(-1)`` as the run's uid), so no
process outlives its verdict, whoever the caller is. In no case are system calls filtered (no seccomp) or CPU
timing side channels closed.

Verdicts per test: ``pass``, ``wrong_answer`` (output differs: tokens compared
after whitespace normalisation, floats within ``float_tolerance`` when set),
``runtime_error`` (non-zero exit or a fatal signal), ``time_limit`` (CPU or
wall-clock limit), ``memory_limit`` (allocation failure under the address-space
limit: ``std::bad_alloc``), ``output_limit`` (file-size limit). A program's
verdict is ``pass`` when every test passes, else the verdict of its first
failing test; programs that do not build keep their compile verdict.
"""

from __future__ import annotations

import enum
import logging
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ..tempdirs import run_temp_root
from .compile import CompileResult, CompileScorer
from .limits import become_subreaper, launch, proc_stats, reap_orphans
from .sandbox import Limits, Sandbox, UidPool
from .testcases import TestCase, outputs_match, row_tests

__all__ = ["ExecVerdict", "ExecutionResult", "ExecutionScorer", "TestCase", "TestResult", "outputs_match", "row_tests"]

log = logging.getLogger(__name__)


class ExecVerdict(str, enum.Enum):
    """Outcome of running a program on its tests (see the module docstring)."""

    PASS = "pass"
    WRONG_ANSWER = "wrong_answer"
    RUNTIME_ERROR = "runtime_error"
    TIME_LIMIT = "time_limit"
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_LIMIT = "output_limit"
    NOT_BUILT = "not_built"

    def __str__(self) -> str:
        return self.value


@dataclass
class TestResult:
    """One test run: verdict, exit status (None on a wall-clock timeout), signal, ms, capped output."""

    __test__ = False

    verdict: ExecVerdict
    returncode: int | None
    signal: int | None
    elapsed_ms: float
    stdout: str = ""
    stderr: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value,
            "returncode": self.returncode,
            "signal": self.signal,
            "elapsed_ms": round(self.elapsed_ms, 1),
            "stdout": self.stdout,
            "stderr": self.stderr,
        }


@dataclass
class ExecutionResult:
    """A program built and run on its tests.

    Attributes:
        verdict: :class:`ExecVerdict` (``not_built`` when the build failed: see ``compile``).
        compile: the build's :class:`CompileResult`.
        tests: one :class:`TestResult` per test run (runs stop at the first failure unless
            ``run_all`` was set).
        passed: tests passed; total: tests given.
        isolation: ``bwrap`` or ``rlimits``.
    """

    verdict: ExecVerdict
    compile: CompileResult
    tests: list[TestResult] = field(default_factory=list)
    passed: int = 0
    total: int = 0
    isolation: str = ""

    @property
    def ok(self) -> bool:
        """Whether every test passed."""
        return self.verdict is ExecVerdict.PASS

    def to_dict(self) -> dict[str, Any]:
        return {
            "exec_verdict": self.verdict.value,
            "tests_passed": self.passed,
            "tests_total": self.total,
            "tests": [t.to_dict() for t in self.tests],
            "isolation": self.isolation,
        }


class ExecutionScorer:
    """Build C++ programs and run them on sample tests under a sandbox.

    Args:
        compile_scorer: builds the program (its std, flags and warnings policy); a default
            :class:`CompileScorer` when None. The build is always a full link.
        time_limit_s: CPU seconds per test (the wall-clock limit is ``2 * time_limit_s + 1``).
        memory_mb: address-space limit per test, MiB.
        output_limit_kb: stdout/stderr file-size limit per test, KiB.
        max_processes: process limit per test (per uid; applied when running as root).
        open_files: open-file limit per test.
        float_tolerance: tolerance for float tokens (None: exact tokens).
        isolation: ``auto``, ``bwrap`` or ``rlimits`` (see :mod:`cfdpo.scoring.sandbox`).
        keep_output_chars: stdout/stderr characters kept in each :class:`TestResult`.
        run_all: run every test even after one fails.
        uid_base: first uid of this scorer's 64 unprivileged uids (root only); default
            ``61000 + 64 * (pid % 60)``, so that concurrent cfdpo processes rarely share a uid.

    Raises:
        RuntimeError: ``isolation="bwrap"`` where it cannot run.
    """

    def __init__(
        self,
        compile_scorer: CompileScorer | None = None,
        time_limit_s: float = 2.0,
        memory_mb: int = 512,
        output_limit_kb: int = 1024,
        max_processes: int = 16,
        open_files: int = 64,
        float_tolerance: float | None = None,
        isolation: str = "auto",
        keep_output_chars: int = 2000,
        run_all: bool = False,
        uid_base: int | None = None,
    ) -> None:
        self.compile_scorer = compile_scorer or CompileScorer(isolation=isolation)
        self.time_limit_s = float(time_limit_s)
        self.memory_mb = int(memory_mb)
        self.output_limit_kb = int(output_limit_kb)
        self.max_processes = int(max_processes)
        self.open_files = int(open_files)
        self.float_tolerance = float_tolerance
        self.sandbox = Sandbox(isolation, runs_programs=True)
        self.keep_output_chars = int(keep_output_chars)
        self.run_all = bool(run_all)
        self.uid_base = uid_base if uid_base is not None else 61000 + 64 * (os.getpid() % 60)
        self.uids = UidPool.shared(self.uid_base, 64)
        # rlimits: orphans of the programs (a setsid daemon) come back to us, to be killed and reaped
        self.subreaper = self.sandbox.kind == "rlimits" and become_subreaper()
        self.limits = Limits(
            cpu_s=self.time_limit_s,
            memory_mb=self.memory_mb,
            output_mb=self.output_limit_kb / 1024,
            processes=self.max_processes,
            open_files=self.open_files,
        )

    def config(self) -> dict[str, Any]:
        """The execution policy, for results.json."""
        return {
            "time_limit_s": self.time_limit_s,
            "wall_limit_s": self.wall_limit_s,
            "memory_mb": self.memory_mb,
            "output_limit_kb": self.output_limit_kb,
            "max_processes": self.max_processes,
            "open_files": self.open_files,
            "float_tolerance": self.float_tolerance,
            "isolation": self.sandbox.kind,
            "unprivileged_uid": self.sandbox.is_root,
            "landlock": self.sandbox.landlock,
            "compare": "whitespace-normalised tokens",
            "build": self.compile_scorer.config(),
        }

    @property
    def wall_limit_s(self) -> float:
        return 2 * self.time_limit_s + 1

    # ------------------------------------------------------------------ running
    def run(self, source: str, tests: Sequence[TestCase]) -> ExecutionResult:
        """Build ``source`` and run it on ``tests``; never raises for anything the program does."""
        cs = self.compile_scorer
        tmp = tempfile.mkdtemp(prefix="cfdpo-exe-", dir=cs.tmp_root or run_temp_root())
        try:
            box = os.path.join(tmp, "box")
            os.mkdir(box)
            build = cs.build(source, box)  # the verdict of score(), and its executable
            if build.returncode != 0 or not os.path.isfile(os.path.join(box, "prog")):
                return ExecutionResult(ExecVerdict.NOT_BUILT, build, total=len(tests), isolation=self.sandbox.kind)
            results = self.run_built(tmp, box, tests)
            passed = sum(r.verdict is ExecVerdict.PASS for r in results)
            first_bad = next((r.verdict for r in results if r.verdict is not ExecVerdict.PASS), ExecVerdict.PASS)
            return ExecutionResult(first_bad, build, results, passed, len(tests), self.sandbox.kind)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def run_built(self, tmp: str, box: str, tests: Sequence[TestCase]) -> list[TestResult]:
        """Run the executable ``box/prog`` (built by the caller) on ``tests`` under the sandbox.

        Args:
            tmp: a private directory for the test's stdin/stdout/stderr files (not visible to the program).
            box: the directory holding ``prog``; everything else in it is removed first.
            tests: the cases, run in order (stopping at the first failure unless ``run_all``).
        """
        for name in os.listdir(box):  # only the executable stays visible to the program
            if name != "prog":
                os.remove(os.path.join(box, name))
        os.chmod(box, 0o755)
        os.chmod(os.path.join(box, "prog"), 0o755)
        results: list[TestResult] = []
        for i, case in enumerate(tests):
            results.append(self._run_case(tmp, box, case, i))
            if results[-1].verdict is not ExecVerdict.PASS and not self.run_all:
                break
        return results

    def _run_case(self, tmp: str, box: str, case: TestCase, index: int) -> TestResult:
        in_path = os.path.join(tmp, f"in{index}.txt")
        out_path = os.path.join(tmp, f"out{index}.txt")
        err_path = os.path.join(tmp, f"err{index}.txt")
        with open(in_path, "w", encoding="utf-8") as f:
            f.write(case.input)
        env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "LANG": "C", "HOME": box}
        with self.uids.take() as uid:
            argv = self.sandbox.wrap(["./prog"], box, self.limits, writable=False, uid=uid)
            with open(in_path, "rb") as fin, open(out_path, "wb") as fout, open(err_path, "wb") as ferr:
                try:
                    rc, timed_out, seconds = launch(
                        argv,
                        box,
                        env,
                        fin,
                        fout,
                        ferr,
                        self.wall_limit_s,
                        self.sandbox.preexec(self.limits),
                        sweep=self.sandbox.kind == "rlimits",
                    )
                except OSError as e:
                    return TestResult(ExecVerdict.RUNTIME_ERROR, None, None, 0.0, "", f"cannot start: {e}")
            elapsed = seconds * 1000.0
            if self.sandbox.kind == "rlimits" and self.sandbox.is_root:
                _kill_uid(uid)  # children that left the process group (a fork bomb's)
        limit = self.output_limit_kb * 1024
        out_size = os.path.getsize(out_path)
        stdout = _read(out_path, max(limit, self.keep_output_chars))
        stderr = _read(err_path, 64_000)
        sig = self.sandbox.signal_of(rc)
        if timed_out or sig in (signal.SIGXCPU, signal.SIGKILL):
            verdict = ExecVerdict.TIME_LIMIT
        elif sig == signal.SIGXFSZ or out_size >= limit or os.path.getsize(err_path) >= limit:
            verdict = ExecVerdict.OUTPUT_LIMIT
        elif "std::bad_alloc" in stderr or "Cannot allocate memory" in stderr:
            verdict = ExecVerdict.MEMORY_LIMIT
        elif rc != 0:
            verdict = ExecVerdict.RUNTIME_ERROR
        elif outputs_match(stdout, case.output, self.float_tolerance):
            verdict = ExecVerdict.PASS
        else:
            verdict = ExecVerdict.WRONG_ANSWER
        k = self.keep_output_chars
        return TestResult(verdict, rc, sig, elapsed, stdout[:k], stderr[:k])

    def run_many(
        self, sources: Iterable[str], tests: Iterable[Sequence[TestCase]], workers: int | None = None
    ) -> list[ExecutionResult]:
        """Run many programs in parallel (threads, each on its own uid); results keep the input order."""
        jobs = list(zip(sources, tests))
        workers = max(1, min(workers or os.cpu_count() or 1, len(jobs) or 1))
        if workers == 1:
            return [self.run(s, t) for s, t in jobs]
        pool = ThreadPoolExecutor(max_workers=workers)
        try:
            return list(pool.map(lambda j: self.run(*j), jobs))
        finally:  # on an interrupt, queued runs are dropped; running ones finish and clean up
            pool.shutdown(wait=True, cancel_futures=True)


def _read(path: str, limit: int) -> str:
    with open(path, "rb") as f:
        return f.read(limit).decode("utf-8", errors="replace")


def _kill_uid(uid: int, rounds: int = 50) -> None:
    """SIGKILL every process of ``uid`` and reap the orphans (rlimits fallback: nothing else holds a
    fork bomb's escapees).

    A scan of /proc races a fork bomb (children appear behind the scan), so the kill is ``kill(-1,
    SIGKILL)`` issued *as* ``uid`` from a forked child: the kernel signals every process of that uid
    under the task-list lock, which ``fork`` also needs, so no child escapes it. The killed orphans
    were re-parented to us (:func:`become_subreaper`) and are reaped here, so they stop counting
    against the uid's process limit. Repeated until /proc shows none left.
    """
    me = os.getpid()
    for _ in range(rounds):
        reap_orphans(lambda st: st.uid == uid)
        left = [st for st in proc_stats() if st.uid == uid]
        if not left:
            return
        if all(st.state == "Z" and st.ppid != me for st in left):
            return  # zombies someone else (PID 1) reaps: no live process remains
        if any(st.state != "Z" for st in left):
            pid = os.fork()  # no exec: RLIMIT_NPROC checks at execve cannot refuse the killer
            if pid == 0:  # pragma: no cover - runs in the forked child
                try:
                    os.setgroups([])
                    os.setgid(uid)
                    os.setuid(uid)
                    os.kill(-1, signal.SIGKILL)
                finally:
                    os._exit(0)
            os.waitpid(pid, 0)
        time.sleep(0.01)
    log.warning("processes of uid %d survived %d kill rounds", uid, rounds)
