"""The compile cache's key holds everything that can change a verdict; host-caused limits are never cached;
the fast link has one time budget and the fast path defers to a plain build where it could differ."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

from cfdpo.scoring import CompileResult, CompileScorer, Verdict
from cfdpo.scoring import compile as compile_mod
from cfdpo.scoring import compile_cache as cache_mod

SRC = '#include <cstdio>\nint main(){ puts("hi"); }\n'

VARIANTS: dict[str, dict[str, Any]] = {
    "pch": {"pch": False},
    "fast_link": {"fast_link": False},
    "syntax_first": {"syntax_first": True},
    "hint_rechecks": {"hint_rechecks": False},
    "timeout_s": {"timeout_s": 29.0},
    "memory_mb": {"memory_mb": 2000},
    "extra_flags": {"extra_flags": ("-O1",)},
    "std": {"std": "c++14"},
    "mode": {"mode": "object"},
    "warnings": {"warnings": "allow"},
    "output_limit_mb": {"output_limit_mb": 128},
    "isolation": {"isolation": "rlimits"},
}


def _misses(tmp_path: Path, **kw: Any) -> int:
    s = CompileScorer(cache_dir=tmp_path / "cache", **kw)
    s.score(SRC)
    return 1 - int(s.stats["cache_hits"])


def test_each_component_of_the_key_gives_a_miss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _misses(tmp_path) == 1
    assert _misses(tmp_path) == 0  # the same settings: a hit
    for name, kw in VARIANTS.items():
        assert _misses(tmp_path, **kw) == 1, name
        assert _misses(tmp_path, **kw) == 0, name
    # the toolchain (assembler, linkers, libstdc++ headers), the compiler and cfdpo's scorer version
    real = cache_mod.toolchain_versions("g++")
    for tool in ("as", "ld", "ld.gold", "libstdc++"):
        monkeypatch.setattr(cache_mod, "toolchain_versions", lambda c, t=tool: {**real, t: "other 9.9"})
        assert _misses(tmp_path) == 1, tool
    monkeypatch.setattr(cache_mod, "toolchain_versions", lambda c: real)
    monkeypatch.setattr(compile_mod, "compiler_version", lambda c: "g++ (Other) 99.1")
    assert _misses(tmp_path) == 1
    monkeypatch.undo()
    monkeypatch.setattr(cache_mod, "SCORER_VERSION", cache_mod.SCORER_VERSION + 1)
    assert _misses(tmp_path) == 1
    monkeypatch.undo()
    assert _misses(tmp_path) == 0  # and back: the original entry is still there


def test_only_the_programs_own_limits_are_cached() -> None:
    def res(rc: int | None, stderr: str, v: Verdict = Verdict.RESOURCE_LIMIT) -> CompileResult:
        return CompileResult(v, False, rc, stderr=stderr)

    ok = CompileScorer.cacheable
    assert ok(res(1, "cc1plus: out of memory allocating 65536 bytes"))  # the policy's address-space limit
    assert ok(res(1, "virtual memory exhausted: Cannot allocate memory"))
    assert ok(res(-signal.SIGXFSZ, ""))  # the policy's file-size limit
    assert not ok(res(-signal.SIGKILL, ""))  # the OOM killer: the host, not the program
    assert not ok(res(1, "g++: fatal error: Killed signal terminated program cc1plus"))
    assert not ok(res(1, "error while loading shared libraries: libz.so.1: failed to map segment"))
    assert not ok(res(None, "", Verdict.TIMEOUT)) and not ok(res(-1, "", Verdict.INTERNAL_ERROR))
    assert ok(res(1, "", Verdict.ERROR)) and ok(res(0, "", Verdict.OK))


def test_the_fast_link_shares_one_time_budget(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Compile, gold link and GNU ld link get what is left of one ``timeout_s``, not ``timeout_s`` each."""
    s = CompileScorer(timeout_s=1.0, pch=False)
    if not s.fast_link:
        pytest.skip("GNU gold is not installed: no fast link")
    budgets: list[float | None] = []

    def fake_exec(workdir: str, cmd: list[str], budget_s: float | None = None) -> tuple[Any, ...]:
        budgets.append(budget_s)
        left = 1.0 if budget_s is None else budget_s
        if left <= 0.4:
            return None, True, "", False, left * 1000  # ran out
        return (0 if len(budgets) == 1 else 1), False, "", False, 400.0  # 0.4 s each; gold fails

    monkeypatch.setattr(s, "_exec", fake_exec)
    r = s._run_linked(str(tmp_path), *s.build_steps())
    assert budgets[0] is None and budgets[1] == pytest.approx(0.6) and budgets[2] == pytest.approx(0.2)
    assert r.verdict is Verdict.TIMEOUT  # the three together ran over the plain build's limit


def test_a_fast_timeout_is_answered_by_a_plain_build(monkeypatch: pytest.MonkeyPatch) -> None:
    s = CompileScorer(pch=False)
    monkeypatch.setattr(s, "_compile_fast", lambda text, include, keep=None: CompileResult(Verdict.TIMEOUT, False, None))
    r = s._compile(SRC)
    assert r.verdict is Verdict.OK and s.stats["plain_rechecks"] == 1
