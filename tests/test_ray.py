"""The reward pool on a real two-node Ray cluster on this machine (``ray.cluster_utils.Cluster``)."""

from __future__ import annotations

import json
import time

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
