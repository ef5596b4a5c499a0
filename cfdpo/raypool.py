"""A set of Ray actors of one kind that loses members when their nodes die: the reward pool
(:class:`cfdpo.rewards.ray_pool.RewardPool`) and the sampling executor (:mod:`cfdpo.stages.ray_sampling`)
keep their actors in one. Imports Ray only to kill actors."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = ["ActorSet"]


class ActorSet:
    """Live actors, and how many were lost.

    A dead actor leaves the set; a replacement is made (``replace()``) only when none is left, since a
    replacement could wait for CPUs the lost node had. Safe to use from several threads.

    Args:
        actors: the actors placed at the start.
        replace: makes one actor (anywhere on the cluster).
    """

    def __init__(self, actors: list[Any], replace: Callable[[], Any]) -> None:
        self.actors: list[Any] = list(actors)
        self.lost = 0
        self._replace = replace
        self._actors_lock = threading.Lock()

    def live(self) -> list[Any]:
        """A copy of the actors now in the set."""
        with self._actors_lock:
            return list(self.actors)

    def drop(self, dead: Any) -> list[Any]:
        """Remove ``dead`` (counted once, however many callers report it); returns the actors now in the set."""
        with self._actors_lock:
            if any(a is dead for a in self.actors):
                self.actors = [a for a in self.actors if a is not dead]
                self.lost += 1
            if not self.actors:
                self.actors = [self._replace()]
            return list(self.actors)

    def kill(self) -> None:
        """End every actor of the set (Ray itself stays up)."""
        import ray

        with self._actors_lock:
            for a in self.actors:
                ray.kill(a)
            self.actors = []
