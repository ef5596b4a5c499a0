"""The compiler reward as a service on Ray: a pool of judge actors a trainer on another node calls.

A trainer (TRL's ``GRPOTrainer``, verl, OpenRLHF) whose reward is cfdpo's judge spends most of a step's CPU
on g++ when completions are many. :class:`RewardPool` puts one :class:`~cfdpo.rewards.Judge` in each of
``actors`` Ray actors (each reserving ``config.workers`` CPUs, spread over the cluster's nodes, so compiles run
where the cores are) and is itself a TRL reward function: ``pool(prompts, completions, **columns)`` splits
the batch into one contiguous chunk per actor, gathers the scores in the batch's order and hands the
breakdown (compile rate, verdict shares) to TRL's ``log_metric`` as the local rewards do::

    import ray
    from cfdpo.rewards import RewardConfig
    from cfdpo.rewards.ray_pool import RewardPool

    ray.init(address="auto")                      # or a head node's address; none: a local cluster
    reward = RewardPool(RewardConfig(workers=8), actors=4, kind="graded")
    GRPOTrainer(..., reward_funcs=[reward])       # the same call as cfdpo.rewards.graded_reward

Limits: every actor's judge keeps its own per-program and per-batch limits (``RewardConfig``); the pool adds
a wall-clock limit on each call, ``batch_timeout_s`` plus ``slack_s`` for scheduling, after which chunks not
back score 0.0 (logged). Back-pressure: at most ``max_in_flight`` calls run at once per actor (callers from
more threads wait). An actor that dies (its node lost) leaves the pool and its chunk is judged again by
another actor, once; the scores of a call never silently lose a sample.

Ray is an optional dependency (``pip install cfdpo[ray]``); this module imports it only when a pool is made.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from ..raypool import ActorSet
from . import Judgement, RewardConfig, log_breakdown

__all__ = ["RewardPool"]

log = logging.getLogger(__name__)

KINDS = ("compile", "test", "graded")


class _JudgeActor:
    """One Ray actor's judge (a :class:`~cfdpo.rewards.Judge` made from the pool's config)."""

    def __init__(self, config: RewardConfig) -> None:
        self.judge = config.judge()

    def scored(
        self, kind: str, prompts: list[Any], completions: list[Any], columns: dict[str, list[Any]]
    ) -> tuple[list[float | None], list[Judgement]]:
        return self.judge.scored(kind, prompts, completions, **columns)

    def node(self) -> str:
        import ray

        return str(ray.get_runtime_context().get_node_id())


class RewardPool(ActorSet):
    """A TRL reward function whose judging runs on Ray actors (see the module docstring).

    Args:
        config: the judge's configuration; ``config.workers`` is each actor's thread pool and CPU reservation.
        actors: judge actors (default: as many as the cluster's CPUs allow, at least 1).
        kind: ``compile``, ``test`` or ``graded`` (the reward of :mod:`cfdpo.rewards` of that name).
        max_in_flight: calls at once per actor before callers wait.
        slack_s: seconds added to ``config.batch_timeout_s`` for a call's wall-clock limit.
        address: Ray address to connect to when Ray is not initialised yet (None: a local cluster).

    Raises:
        ValueError: an unknown ``kind`` or fewer than one actor.
        ImportError: Ray is not installed (``pip install cfdpo[ray]``).
    """

    def __init__(
        self,
        config: RewardConfig | None = None,
        actors: int | None = None,
        kind: str = "graded",
        max_in_flight: int = 2,
        slack_s: float = 30.0,
        address: str | None = None,
    ) -> None:
        import ray

        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        self.config = config or RewardConfig()
        self.kind = kind
        self.__name__ = f"{kind}_reward"  # TRL logs a reward function under its name
        self.slack_s = float(slack_s)
        if not ray.is_initialized():
            ray.init(address=address, include_dashboard=False, log_to_driver=False)
        cpus = max(1, self.config.workers)
        if actors is None:
            actors = max(1, int(ray.cluster_resources().get("CPU", 1)) // cpus)
        if actors < 1:
            raise ValueError(f"actors must be >= 1, got {actors}")
        self._remote: Any = ray.remote(num_cpus=cpus, scheduling_strategy="SPREAD", max_restarts=0)(_JudgeActor)
        super().__init__([self._remote.remote(self.config) for _ in range(actors)], lambda: self._remote.remote(self.config))
        self._gate = threading.BoundedSemaphore(max(1, max_in_flight) * actors)

    def nodes(self) -> list[str]:
        """The Ray node id of each actor (where its compiles run)."""
        import ray

        return list(ray.get([a.node.remote() for a in self.actors]))

    def __call__(
        self,
        prompts: Sequence[Any],
        completions: Sequence[Any],
        log_metric: Callable[[str, float], None] | None = None,
        **columns: Any,
    ) -> list[float | None]:
        """Score a batch (TRL's ``reward_funcs`` call): one float (or None) per completion, in order."""
        n = len(completions)
        cols = {k: list(v) for k, v in columns.items() if isinstance(v, (list, tuple)) and len(v) == n}
        with self._gate:
            scores, judged = self._scored(list(prompts), list(completions), cols)
        log_breakdown(self.kind, judged, scores, log_metric)
        return scores

    def _scored(
        self, prompts: list[Any], completions: list[Any], cols: dict[str, list[Any]]
    ) -> tuple[list[float | None], list[Judgement]]:
        import ray
        from ray.exceptions import RayActorError

        n = len(completions)
        actors = self.live()
        size = -(-n // len(actors)) if n else 0
        chunks = [(i, min(i + size, n)) for i in range(0, n, size)] if n else []
        limit = None if self.config.batch_timeout_s is None else self.config.batch_timeout_s + self.slack_s
        deadline = None if limit is None else time.monotonic() + limit

        def submit(k: int, lo: int, hi: int) -> Any:
            part = {c: v[lo:hi] for c, v in cols.items()}
            return actors[k % len(actors)].scored.remote(self.kind, prompts[lo:hi], completions[lo:hi], part)

        refs = {submit(k, lo, hi): (k, lo, hi) for k, (lo, hi) in enumerate(chunks)}
        got: dict[int, tuple[list[float | None], list[Judgement]]] = {}
        retried: set[int] = set()
        while refs:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            done, _ = ray.wait(list(refs), num_returns=1, timeout=left)
            if not done:
                break
            ref = done[0]
            k, lo, hi = refs.pop(ref)
            try:
                got[lo] = ray.get(ref)
            except RayActorError:
                if k in retried:
                    raise
                retried.add(k)
                log.warning("reward actor %d died; its %d sample(s) go to another actor", k % len(actors), hi - lo)
                actors = self.drop(actors[k % len(actors)])
                refs[submit(k, lo, hi)] = (k, lo, hi)
        for ref, (_k, lo, hi) in refs.items():  # past the call's wall-clock limit
            ray.cancel(ref)
            log.warning("reward pool: %d sample(s) not judged within %.0f s: scored 0.0", hi - lo, limit or 0)
            got[lo] = ([0.0] * (hi - lo), [Judgement(True, timed_out=True) for _ in range(hi - lo)])
        scores: list[float | None] = []
        judged: list[Judgement] = []
        for lo, _hi in chunks:
            scores += got[lo][0]
            judged += got[lo][1]
        return scores, judged

    def shutdown(self) -> None:
        """End the pool's actors (Ray itself stays up)."""
        self.kill()
