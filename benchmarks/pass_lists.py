"""Pass-list evaluations per second: cfdpo's evaluate_pass_list against the bare process cost.

One evaluation = opt with a pass list, llc -filetype=obj, llvm-size -A. The bare
measurement runs the same three commands with subprocess.run in a temp dir and
nothing else; cfdpo adds the limits (prlimit), stderr capture, the size parsing
and the instruction count. Both run sequentially on the same modules and lists,
interleaved in one run so machine load affects them alike.

    python benchmarks/pass_lists.py --corpus ../shared/corpora/codechef --programs 20 --lists 5
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    from cfdpo.compiler_data.llvm_ir import find_llvm
    from cfdpo.compiler_data.passes import evaluate_pass_list, load_catalogue, pipeline_text, unoptimised_ir
    from cfdpo.compiler_data.tuning import random_pass_list, tidy_ir
    from cfdpo.corpus.programs import collect_programs

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default="../shared/corpora/codechef")
    ap.add_argument("--programs", type=int, default=20)
    ap.add_argument("--lists", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    tc = find_llvm(16)
    cat = load_catalogue(16)
    progs, _ = collect_programs(Path(a.corpus), a.programs * 2)
    modules = []
    for p in progs:
        ir, _why = unoptimised_ir(
            p["source"], p["language"], tc, include_dirs=(p["include_dir"],) if p.get("include_dir") else ()
        )
        if ir is not None:
            modules.append(tidy_ir(ir))
        if len(modules) >= a.programs:
            break
    rng = random.Random(a.seed)
    jobs = [(m, random_pass_list(rng, cat)) for m in modules for _ in range(a.lists)]
    print(
        f"{len(modules)} modules (median {statistics.median(len(m) for m in modules):.0f} chars of IR), "
        f"{len(jobs)} evaluations each way"
    )
    t_cfdpo = t_bare = 0.0
    agree = 0
    for ir, lst in jobs:
        t0 = time.perf_counter()
        r = evaluate_pass_list(ir, lst, cat, tc, keep_ir=False)
        t_cfdpo += time.perf_counter() - t0
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "in.ll"), "w") as f:
                f.write(ir)
            ok = (
                subprocess.run(
                    [tc.opt, "-S", f"-passes={pipeline_text(lst, cat)}", "-o", "out.ll", "in.ll"], cwd=d, capture_output=True
                ).returncode
                == 0
            )
            if ok:
                subprocess.run([tc.llc, "-filetype=obj", "-o", "m.o", "out.ll"], cwd=d, capture_output=True)
                subprocess.run([tc.llvm_size, "-A", "m.o"], cwd=d, capture_output=True)
        t_bare += time.perf_counter() - t0
        agree += ok == (r.size is not None)
    n = len(jobs)
    print(f"cfdpo  {1000 * t_cfdpo / n:8.1f} ms/evaluation  {n / t_cfdpo:6.2f} evals/s")
    print(f"bare   {1000 * t_bare / n:8.1f} ms/evaluation  {n / t_bare:6.2f} evals/s")
    print(f"same success/failure on {agree}/{n} lists")
    print(f"evals_per_s={n / t_cfdpo:.2f} bare_ratio={(n / t_cfdpo) / (n / t_bare):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
