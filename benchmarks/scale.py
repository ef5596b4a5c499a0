"""Judging on Ray: throughput of the reward pool with 1 and 2 nodes on this machine, and Ray's per-task cost.

    python benchmarks/scale.py --n 128

A two-node cluster on one machine (``ray.cluster_utils.Cluster``, each node ``--cpus`` CPUs). The programs are
the bundled sample's (``data/sample``), each with a comment that makes its source unique (so no cache or
dedup helps), completed with an empty completion and judged by ``RewardPool`` (the graded reward, compile
only: no tests), first with one actor on one node, then with one actor on each node, the PCHs built before
timing. Prints programs per second of each, ``nodes_ratio=`` (2 nodes / 1) and ``task_overhead_ms=``: the
round-trip of an empty actor call (Ray's scheduling and serialisation cost per chunk).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=128, help="programs per measurement")
    ap.add_argument("--cpus", type=int, default=1, help="CPUs per node (and judge threads per actor)")
    a = ap.parse_args()
    try:
        import ray
        from ray.cluster_utils import Cluster
    except ImportError:
        print("Ray is not installed: pip install cfdpo[ray]", file=sys.stderr)
        return 2
    from cfdpo.corpus.codenet import load_codenet, sample_corpus_path
    from cfdpo.rewards import RewardConfig
    from cfdpo.rewards.ray_pool import RewardPool

    ds, _ = load_codenet(sample_corpus_path(), show_progress=False, splits=("train", "test"))
    base = [r["source"] for r in ds]
    progs = [f"{base[i % len(base)]}\n// {i}\n" for i in range(a.n)]
    warm = list(dict.fromkeys(base))

    c = Cluster(initialize_head=True, head_node_args={"num_cpus": a.cpus, "include_dashboard": False})
    ray.init(address=c.address, log_to_driver=False)
    try:
        cfg = RewardConfig(workers=a.cpus, run_tests=False, cache=False, batch_timeout_s=None)
        rates = {}
        for nodes in (1, 2):
            if nodes == 2:
                c.add_node(num_cpus=a.cpus)
                c.wait_for_nodes()
            pool = RewardPool(cfg, actors=nodes, kind="compile")
            pool([""] * len(warm), warm)  # PCHs built, every actor started
            t0 = time.perf_counter()
            scores = pool([""] * len(progs), progs)
            s = time.perf_counter() - t0
            rates[nodes] = len(progs) / s
            print(
                f"nodes={nodes} actors={len(pool.actors)} programs={len(progs)} s={s:.1f} "
                f"programs_per_s={rates[nodes]:.2f} compiled={sum(x == 1.0 for x in scores)}",
                flush=True,
            )
            pool.shutdown()

        @ray.remote(num_cpus=0)
        class Echo:
            def ping(self) -> int:
                return 0

        echo = Echo.remote()
        ray.get(echo.ping.remote())
        t0 = time.perf_counter()
        for _ in range(200):
            ray.get(echo.ping.remote())
        overhead = (time.perf_counter() - t0) / 200 * 1000
        print(f"nodes_ratio={rates[2] / rates[1]:.2f} task_overhead_ms={overhead:.2f}")
    finally:
        ray.shutdown()
        c.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
