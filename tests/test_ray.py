"""The reward pool on a real two-node Ray cluster on this machine (``ray.cluster_utils.Cluster``)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from cfdpo.rewards import RewardConfig

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install cfdpo[ray])")

GOOD = '#include <cstdio>\nint main() { int a, b; scanf("%d %d", &a, &b); printf("%d\\n", a + b); }\n'
WRONG = GOOD.replace("a + b", "a - b")
ERROR = '#include <cstdio>\nint main() { printf("%d\\n", missing); }\n'
ENDLESS = "int main() { for (;;) {} }\n"
TESTS = json.dumps([{"input": "3 4\n", "output": "7\n"}, {"input": "1 1\n", "output": "2\n"}])


@pytest.fixture(scope="module")
def cluster():
    from ray.cluster_utils import Cluster

    c = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    second = c.add_node(num_cpus=1)
    ray.init(address=c.address, log_to_driver=False)
    try:
        yield c, second
    finally:
        ray.shutdown()
        c.shutdown()


def test_the_pool_scores_like_the_local_judge_on_two_nodes_and_survives_a_lost_node(cluster) -> None:
    from cfdpo.rewards.ray_pool import RewardPool

    c, second = cluster
    cfg = RewardConfig(workers=1, compile_timeout_s=10, time_limit_s=1, batch_timeout_s=60, cache=False)
    pool = RewardPool(cfg, actors=2, kind="graded")
    assert pool.__name__ == "graded_reward" and len(set(pool.nodes())) == 2  # one actor on each node
    progs = [GOOD, ERROR, WRONG, ENDLESS, GOOD.replace("int a", "int  a")]
    n = len(progs)
    local = RewardConfig(workers=1, compile_timeout_s=10, time_limit_s=1, batch_timeout_s=60, cache=False).graded()
    expected = local([""] * n, progs, tests=[TESTS] * n)
    assert expected[0] == expected[4] == 1.0 and expected[2] == expected[3] == 0.6 and expected[1] < 0.4
    logged: dict[str, float] = {}
    t0 = time.monotonic()
    scores = pool([""] * n, progs, tests=[TESTS] * n, log_metric=logged.__setitem__, trainer_state=object())
    wall = time.monotonic() - t0
    assert scores == expected  # in the batch's order, whichever actor judged which chunk
    assert logged["cfdpo/compile_rate"] == pytest.approx(4 / 5)
    # the endless loop is within its limits: compile + 2 tests of (2 x 1 s + 1 s) wall each, with room
    assert wall < 10 + 2 * 3 + 15
    # a node lost: its actor dies, its chunk goes to the other actor, no sample is lost
    c.remove_node(second)
    again = pool([""] * n, progs, tests=[TESTS] * n)
    assert again == expected and pool.lost == 1 and len(pool.actors) == 1
    pool.shutdown()


def test_a_pool_refuses_an_unknown_reward(cluster) -> None:
    from cfdpo.rewards.ray_pool import RewardPool

    with pytest.raises(ValueError, match="kind must be one of"):
        RewardPool(RewardConfig(workers=1), actors=1, kind="bleu")


def _evaluate(model: str, out: Path, **kw: Any) -> dict[str, Any]:
    from cfdpo.stages.evaluate import EvaluateArguments, run

    from .conftest import SAMPLE

    args = EvaluateArguments(
        model=model,
        out=str(out),
        data=str(SAMPLE),
        limit=16,
        compile_check=False,
        threads=1,
        workers=1,
        batch_size=1,
        max_new_tokens=24,
        no_compile_cache=True,
        **kw,
    )
    return run(args)


def _node_of(actor: Any) -> str:
    """The node an actor lives on (Ray's actor table; the actor must be alive)."""
    from ray._private.state import actors

    return str(actors(actor._actor_id.hex())["Address"]["NodeID"])


def _rows(out: Path) -> list[tuple[Any, ...]]:
    from cfdpo.jsonl import read_jsonl

    return [
        (r["id"], r["completion"], r["raw_completion"], r["verdict"], r["good"], json.dumps(r["diagnostics"]))
        for r in read_jsonl(out / "samples.jsonl")
    ]


@pytest.mark.xfail(
    strict=False,
    reason="open: in the full suite no actor is placed on the node added by this test (_Pool's soft affinity "
    "over _nodes()), so the node kill tests nothing; passes alone",
)
def test_evaluate_on_ray_equals_the_single_process_run_and_loses_no_row_to_a_killed_node(
    cluster, tiny_model_dir, tmp_path, monkeypatch
) -> None:
    """Greedy rows on two nodes equal one process's, in the same order; a node killed mid-run (its raylet and
    actors gone) costs no row and duplicates none, and a driver killed mid-run resumes from samples.jsonl."""
    c, _ = cluster
    node = c.add_node(num_cpus=1)
    c.wait_for_nodes()
    local = _evaluate(str(tiny_model_dir), tmp_path / "local")
    expected = _rows(tmp_path / "local")
    assert len(expected) == local["n"] == 16 and local["executor"] == {"executor": "local"}

    on_ray = _evaluate(str(tiny_model_dir), tmp_path / "ray", executor="ray")
    assert _rows(tmp_path / "ray") == expected  # the same rows, in prompt order
    rec = on_ray["executor"]
    assert rec["executor"] == "ray" and len(rec["nodes"]) >= 2 and rec["generation_actors_lost"] == 0
    assert on_ray["compile_rate"] == local["compile_rate"] and on_ray["per_program"] == local["per_program"]

    # a node killed mid-run: once the run has placed its actors (the scorer pool is made after the generation
    # pool) and they are alive on their nodes, before they have done any work, so its actors' batches must go
    # to the others on every run. Waiting for them matters: an actor still being scheduled when its node goes
    # would be placed elsewhere (soft affinity), and nothing would be lost.
    from cfdpo.jsonl import read_jsonl
    from cfdpo.stages import ray_sampling

    made = ray_sampling._Pool.__init__
    pools: list[Any] = []
    killed: list[int] = []

    def place_then_kill(pool: Any, make: Any, count: int | None) -> None:
        made(pool, make, count)
        pools.append(pool)
        if len(pools) == 2:  # the generation and the scorer actors are placed
            ray.get([a.__ray_ready__.remote() for p in pools for a in p.actors], timeout=300)
            on_node = [a for p in pools for a in p.actors if _node_of(a) == node.node_id]
            assert on_node, "no actor was placed on the node to be killed"
            killed.append(len(read_jsonl(tmp_path / "kill" / "samples.jsonl")))
            c.remove_node(node)

    monkeypatch.setattr(ray_sampling._Pool, "__init__", place_then_kill)
    run = _evaluate(str(tiny_model_dir), tmp_path / "kill", executor="ray")
    monkeypatch.undo()
    assert killed == [0]  # no row written yet: every batch was still to do
    assert run["executor"]["generation_actors_lost"] + run["executor"]["scorer_actors_lost"] >= 1  # killed mid-run
    again = _evaluate(str(tiny_model_dir), tmp_path / "kill", executor="ray")  # the rerun: nothing to do
    assert _rows(tmp_path / "kill") == expected and again["n"] == 16

    # the driver killed mid-run: the rows written so far stay, the rest is generated on the rerun
    path = tmp_path / "ray" / "samples.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:4]) + lines[4][:20])  # four whole rows and a torn fifth
    (tmp_path / "ray" / "results.json").unlink()
    _evaluate(str(tiny_model_dir), tmp_path / "ray", executor="ray")
    assert _rows(tmp_path / "ray") == expected
