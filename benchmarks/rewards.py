"""Reward throughput: cfdpo's ``graded_reward`` against a reward written the usual way, on the same completions.

    python benchmarks/rewards.py --corpus ../shared/corpora/codechef --n 512

The completions are real: the default model's samples (temperature 0.8, 4 per prompt) of masked CodeChef
test-split programs whose problems have sample tests, made once with ``cfdpo build-prefs`` into
``~/.cache/cfdpo/bench/rewards-samples`` (reused when there), or the samples of the evaluate / build-prefs
run directories given as ``--samples DIR [DIR ...]``. In one run:

  (a) the usual reward: per completion, one plain ``g++ -std=c++17 -o prog prog.cpp`` subprocess, then one
      run per sample test (stdin in, stdout compared token by token), sequential, no cache, no pool, no PCH;
      each run goes through the same sandbox as cfdpo's (model-written code never runs unconfined here);
  (b) ``RewardConfig(...).graded()``'s judge called as TRL calls the reward, in batches of ``--batch``
      completions, with an empty compile cache and PCH directory (``--warm`` adds a second pass with the
      cache warm).

(a) and (b) take turns batch by batch, the order rotating, so a noisy machine's load falls on both alike
(``--compare_instantiations`` adds (b) with PCHs that hold no template instantiations as a third side).

Prints rewards per second of each, ``reward_speedup=`` (b / a) and ``same_scores=``: the fraction of
completions whose outcome (compiles under the policy; tests passed) is the same in (a) and (b). Then a batch
of 8 hostile programs (endless loop, fork bomb, compile bomb, huge output, memory hog, sleep, deep recursion,
a writer to /tmp) beside good ones, timed against its limits: ``hostile_wall_s=`` and ``hostile_ratio=``
(wall time over the largest per-program budget: compile limit plus the wall limit of each test).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DEFAULT_SAMPLES = Path.home() / ".cache" / "cfdpo" / "bench" / "rewards-samples"


def make_samples(corpus: Path, out: Path, n: int) -> None:
    """Sample 4 completions of each of ``n / 4`` masked test-split programs with the default model."""
    argv = [
        sys.executable,
        "-m",
        "cfdpo.cli",
        "build-prefs",
        "--data",
        str(corpus),
        "--split",
        "test",
        "--holdout",
        "problems",
        "--require_tests",
        "true",
        "--limit",
        str(max(1, n // 4)),
        "--num_samples",
        "4",
        "--temperature",
        "0.8",
        "--out",
        str(out),
    ]
    print("sampling completions:", " ".join(argv[2:]), flush=True)
    subprocess.run(argv, check=True)


def load(dirs: list[Path], n: int) -> list[dict]:
    from cfdpo.jsonl import read_jsonl

    rows = []
    for d in dirs:
        prompts = {r["id"]: r for r in read_jsonl(d / "prompts.jsonl")}
        for s in read_jsonl(d / "samples.jsonl"):
            p = prompts[s["prompt_id"]]
            completion = s.get("raw_completion", s["completion"])
            rows.append({"prompt": p["prompt"], "completion": completion, "tests": p.get("tests") or []})
    return rows[:n]


def usual_reward(rows: list[dict], std: str, time_limit_s: float, isolation: str) -> tuple[list[tuple], float]:
    """(a): one plain g++ per completion, one sandboxed run per test; returns outcomes and seconds."""
    from cfdpo.corpus.prompts import clean_completion
    from cfdpo.scoring.execution import outputs_match
    from cfdpo.scoring.limits import launch
    from cfdpo.scoring.sandbox import Limits, Sandbox

    box_kind = Sandbox(isolation, runs_programs=True)
    limits = Limits(cpu_s=time_limit_s, memory_mb=512, output_mb=1, processes=16, open_files=64)
    wall = 2 * time_limit_s + 1
    out = []
    t0 = time.perf_counter()
    for r in rows:
        comp, _ = clean_completion(r["prompt"], r["completion"])
        d = tempfile.mkdtemp(prefix="bench-usual-")
        try:
            Path(d, "prog.cpp").write_text(r["prompt"] + comp, encoding="utf-8", errors="surrogateescape")
            try:
                cc = subprocess.run(
                    ["g++", f"-std={std}", "-o", "prog", "prog.cpp"],
                    cwd=d,
                    capture_output=True,
                    text=True,
                    timeout=30,
                    errors="replace",
                )
                good = cc.returncode == 0 and "warning:" not in cc.stderr
            except subprocess.TimeoutExpired:
                good = False
            passed = 0
            if good:
                os.remove(Path(d, "prog.cpp"))
                for t in r["tests"]:
                    inp, res = Path(d).parent / (Path(d).name + ".in"), Path(d).parent / (Path(d).name + ".out")
                    inp.write_text(t["input"], encoding="utf-8")
                    with open(inp, "rb") as fin, open(res, "wb") as fout:
                        rc, timed_out, _ = launch(
                            box_kind.wrap(["./prog"], d, limits, writable=False),
                            d,
                            {"PATH": "/usr/bin:/bin", "LC_ALL": "C"},
                            fin,
                            fout,
                            subprocess.DEVNULL,
                            wall,
                            box_kind.preexec(limits),
                            sweep=box_kind.kind == "rlimits",
                        )
                    got = res.read_text(encoding="utf-8", errors="replace")
                    inp.unlink()
                    res.unlink()
                    if rc != 0 or timed_out or not outputs_match(got, t["output"]):
                        break  # as cfdpo's runner: stop at the first failing test
                    passed += 1
            out.append((good, passed if good else 0))
        finally:
            shutil.rmtree(d, ignore_errors=True)
    return out, time.perf_counter() - t0


def cfdpo_reward(rows: list[dict], judge) -> tuple[list[tuple], float]:
    """(b): one call of the graded reward's judge on a batch; outcomes from its judgements, and seconds."""
    t0 = time.perf_counter()
    judged = judge.judge(
        [r["prompt"] for r in rows], [r["completion"] for r in rows], tests=[json.dumps(r["tests"]) for r in rows]
    )
    out = [(j.good, j.execution.passed if j.good and j.execution is not None else 0) for j in judged]
    return out, time.perf_counter() - t0


def side_by_side(rows: list[dict], judges: dict, batch: int, cfg, isolation: str) -> dict[str, tuple[list[tuple], float]]:
    """The usual reward and each of ``judges`` in turns, batch by batch, the order rotating from batch to
    batch, so that the machine's load falls on all alike; returns ``{side: (outcomes, seconds)}``."""
    sides = ["usual", *judges]
    got: dict[str, tuple[list[tuple], float]] = {side: ([], 0.0) for side in sides}
    for k, i in enumerate(range(0, len(rows), batch)):
        part = rows[i : i + batch]
        for side in sides[k % len(sides) :] + sides[: k % len(sides)]:
            if side == "usual":
                out, sec = usual_reward(part, cfg.std, cfg.time_limit_s, isolation)
            else:
                out, sec = cfdpo_reward(part, judges[side])
            got[side] = (got[side][0] + out, got[side][1] + sec)
    return got


HOSTILE = {
    "endless_loop": "int main() { for (;;) {} }\n",
    "fork_bomb": "#include <unistd.h>\nint main() { while (1) fork(); }\n",
    "compile_bomb": "#define A(x) x x x x x x x x x x\n#define B(x) A(A(A(A(A(A(A(A(x))))))))\nB(B(B(int a;)))\nint main(){}\n",
    "huge_output": "#include <cstdio>\nint main() { for (;;) putchar('x'); }\n",
    "memory_hog": "#include <vector>\nint main() { std::vector<char*> v; for (;;) v.push_back(new char[1<<20]()); }\n",
    "sleeper": "#include <unistd.h>\nint main() { for (;;) sleep(1); }\n",
    "deep_recursion": "int f(int n) { volatile char b[4096]; b[0] = n; return f(n + 1) + b[0]; }\nint main() { return f(0); }\n",
    "tmp_writer": '#include <cstdio>\nint main() { for (int i = 0;; ++i) { char p[64]; sprintf(p, "/tmp/x%d", i);'
    ' FILE* f = fopen(p, "w"); if (f) { fputs("x", f); fclose(f); } } }\n',
}
GOOD = '#include <cstdio>\nint main() { int a, b; scanf("%d %d", &a, &b); printf("%d\\n", a + b); }\n'


def hostile_batch(cfg) -> tuple[float, float, list[float | None]]:
    tests = [{"input": "3 4\n", "output": "7\n"}, {"input": "1 1\n", "output": "2\n"}]
    progs = [*HOSTILE.values(), GOOD, GOOD.replace("a + b", "b + a")]
    t0 = time.perf_counter()
    scores = cfg.graded()([""] * len(progs), progs, tests=[json.dumps(tests)] * len(progs))
    wall = time.perf_counter() - t0
    budget = cfg.compile_timeout_s + len(tests) * (2 * cfg.time_limit_s + 1)
    return wall, budget, scores


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=Path("../shared/corpora/codechef"))
    ap.add_argument(
        "--samples",
        type=Path,
        nargs="+",
        default=None,
        help="evaluate / build-prefs run dirs whose samples to judge (default: made with build-prefs)",
    )
    ap.add_argument("--n", type=int, default=512)
    ap.add_argument("--batch", type=int, default=16, help="completions per reward call (a GRPO batch)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--isolation", default="auto")
    ap.add_argument(
        "--compare_instantiations",
        action="store_true",
        help="also time, in the same turns, the judge with PCHs that hold no template instantiations",
    )
    ap.add_argument("--warm", action="store_true", help="also time a second pass with the compile cache warm")
    a = ap.parse_args()
    dirs = a.samples or [DEFAULT_SAMPLES]
    for d in dirs:
        if not (d / "samples.jsonl").is_file():
            if a.samples:
                print(f"--samples {d}: no samples.jsonl", file=sys.stderr)
                return 2
            if not a.corpus.is_dir():
                print(f"--corpus {a.corpus}: no such directory (and no --samples)", file=sys.stderr)
                return 2
            make_samples(a.corpus, d, a.n)
    rows = load(dirs, a.n)
    os.environ["CFDPO_CACHE"] = tempfile.mkdtemp(prefix="bench-rewards-cache-")  # an empty compile cache
    from cfdpo.rewards import RewardConfig

    cfg = RewardConfig(workers=a.workers, isolation=a.isolation, batch_timeout_s=None, compile_timeout_s=30)
    tested = sum(bool(r["tests"]) for r in rows)
    print(f"completions={len(rows)} with_tests={tested} workers={a.workers} batch={a.batch}", flush=True)
    judges = {"cfdpo": cfg.judge()}
    if a.compare_instantiations:  # the same judge with PCHs that hold no template instantiations
        from cfdpo.rewards import Judge

        main_cache = os.environ["CFDPO_CACHE"]
        os.environ["CFDPO_CACHE"] = tempfile.mkdtemp(prefix="bench-rewards-cache-")  # its own empty caches
        judges["cfdpo without instantiations"] = Judge(cfg)
        judges["cfdpo without instantiations"].scorer.pch.instantiate = False
        os.environ["CFDPO_CACHE"] = main_cache
    got = side_by_side(rows, judges, a.batch, cfg, a.isolation)
    (usual, usual_s), (fast, fast_s) = got["usual"], got["cfdpo"]
    sc = cfg.judge().scorer
    if sc.pch is not None:
        print(
            f"cfdpo's compiles: {int(sc.stats['full_builds'])} builds ({sc.stats['full_ms'] / 1000:.1f} s summed over "
            f"workers), {sc.pch.builds} PCH builds ({sc.pch.build_ms / 1000:.1f} s), template instantiations in PCHs: "
            f"{'yes' if sc.pch.plugin() else 'no (no GCC plugin headers)'}"
        )
    same = sum(x == y for x, y in zip(fast, usual)) / len(rows)
    for (x, y), r in zip(zip(fast, usual), rows):
        if x != y:
            print(f"  differs: cfdpo {x} usual {y}: {r['completion'][:80]!r}")
    print(f"usual: {usual_s:.1f} s, {len(rows) / usual_s:.2f} rewards/s; compiles {sum(g for g, _ in usual)}")
    print(f"cfdpo: {fast_s:.1f} s, {len(rows) / fast_s:.2f} rewards/s; compiles {sum(g for g, _ in fast)}")
    if a.compare_instantiations:
        other_s = got["cfdpo without instantiations"][1]
        print(f"cfdpo without instantiations: {other_s:.1f} s ({other_s / fast_s:.2f}x cfdpo's time)")
    if a.warm:
        judge = cfg.judge()
        warm_s = sum(cfdpo_reward(rows[i : i + a.batch], judge)[1] for i in range(0, len(rows), a.batch))
        print(f"cfdpo, cache warm: {warm_s:.1f} s, {len(rows) / warm_s:.2f} rewards/s")
    wall, budget, scores = hostile_batch(
        RewardConfig(
            workers=a.workers, isolation=a.isolation, compile_timeout_s=10, time_limit_s=2, batch_timeout_s=None, cache=False
        )
    )
    print(f"hostile batch: scores {dict(zip([*HOSTILE, 'good', 'good2'], scores))}")
    print(
        f"reward_speedup={usual_s / fast_s:.2f} same_scores={same:.3f} hostile_wall_s={wall:.1f} "
        f"hostile_ratio={wall / budget:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
