"""Multi-turn repair (``cfdpo evaluate --repair_turns K``): failed completions get the compiler's feedback back.

Turn 0 is the ordinary evaluation. At turn t (1 ... K) every program whose
latest attempt still fails (does not compile under the warnings policy; with
``--run_tests``, does not pass its sample tests) is completed again from its
masked prompt with the feedback of that attempt (:mod:`cfdpo.corpus.repair`),
judged by g++ (and the tests) like turn 0. Each turn's rows go to
``repair_<t>/samples.jsonl`` and resume after a crash.

Reported per turn (repair@k, RLEF-style; Gehring et al. 2024): the cumulative
compile rate and pass@1 (a program counts once any attempt up to that turn
succeeded) with 95% Wilson intervals, the per-program verdicts at that turn
(for McNemar tests between models, ``cfdpo compare --turn t``) and the error
kinds of the attempts each turn fixed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..evaluation.repair import attempt_succeeded

__all__ = ["run_repair_turns"]

log = logging.getLogger(__name__)


def run_repair_turns(
    prompts: list[dict[str, Any]],
    samples: list[dict[str, Any]],
    turns: int,
    args: Any,
    decoding: Any,
    scorer: Any,
    out: Path,
    load: Callable[[], tuple[Any, Any]],
    executor: Any = None,
    control: bool = False,
) -> list[list[dict[str, Any]]]:
    """Run (or resume) repair turns 1 ... ``turns`` after the turn-0 ``samples``.

    With ``control`` the turns are the control's (``--repair_control resample``): the same programs fail and
    get the same number of attempts, from their original prompt without feedback, decoded by ``decoding``
    (sampled: a greedy attempt would repeat turn 0), with seed ``decoding.seed + t`` at turn t, into
    ``out/control_<t>/``.

    Args:
        prompts: the evaluation's prompt rows.
        samples: its turn-0 scored samples (one per prompt, greedy).
        turns: K, the repair turns.
        args, decoding, scorer, load, executor: as for :func:`cfdpo.stages.sampling.sample_and_score`.
        out: the evaluation directory; turn t writes ``out/repair_<t>/``.

    Returns:
        The rows of every turn, turn 0 first; a turn holds rows only for the programs repaired in it.
    """
    from dataclasses import replace

    from ..corpus.repair import feedback_for
    from .sampling import sample_and_score

    run_tests = executor is not None
    by_id = {p["id"]: p for p in prompts}
    latest = {s["prompt_id"]: s for s in samples}
    history: list[list[dict[str, Any]]] = [samples]
    for t in range(1, turns + 1):
        failing = [p for p in prompts if p["id"] in latest and not attempt_succeeded(latest[p["id"]], run_tests)]
        if not failing:
            log.info("repair: nothing left to repair after turn %d", t - 1)
            break
        log.info("repair turn %d: %d program(s)", t, len(failing))
        if control:
            rows = [dict(by_id[p["id"]]) for p in failing]
            tdir, dec = out / f"control_{t}", replace(decoding, seed=decoding.seed + t)
        else:
            rows = [{**by_id[p["id"]], "feedback": feedback_for(latest[p["id"]])} for p in failing]
            tdir, dec = out / f"repair_{t}", decoding
        tdir.mkdir(exist_ok=True)
        got = sample_and_score(rows, args, dec, scorer, tdir, load, executor)
        for r in got:
            r["turn"] = t
            latest[r["prompt_id"]] = r
        history.append(got)
    return history
