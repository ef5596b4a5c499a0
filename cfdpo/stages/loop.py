"""On-policy rounds (``cfdpo loop``): the current policy samples, g++ judges, DPO trains the next policy.

Round 0 evaluates the base model and, with ``start=sft``, trains the SFT adapter
and evaluates it. Round r (1 ... R) then

1. samples ``num_samples`` completions per train prompt from the current policy
   (the round's starting adapter), judges them with g++ (and the sample tests with
   ``run_tests``) and builds pairs: chosen = a good sample of the policy
   (``chosen=best``: the best-ranked sample, the reference when none is good;
   ``sample``: samples only; ``reference``: the paper's pairs), rejected = a bad
   sample, near-identical pairs dropped;
2. trains DPO (``dpo.loss_type: sigmoid``) or DPOP from the current policy; the reference
   model is the round's starting policy (a frozen copy of its adapter; the base
   model in round 1 from ``start=base``);
3. evaluates the new policy on the held-out test split and, with
   ``validation_problems``, on the validation split (problems none of whose
   programs is trained on or tested), where ``best_round`` is chosen.

On-policy data: PLUM (arXiv 2406.06887) and CodeDPO (arXiv 2410.05605) report that pairs
from the current policy's own samples judged by tests beat off-policy pairs for code
(see ``docs/training.md``). Each round's prefs, adapter and evaluation live under
``round_<r>/`` and are reused when done, so a killed loop resumes. The report
compares every round with Base and with the starting policy (Wilson intervals,
exact McNemar on per-program verdicts).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from .pipeline import RUN_ONLY, PipelineArguments, dpo_stage, evaluate_stage, prefs_stage, sft_stage

__all__ = ["LoopArguments", "best_round", "run_loop"]

#: the table's name of each loss
_LOSS_LABELS = {"sigmoid": "DPO", "dpop": "DPOP"}

log = logging.getLogger(__name__)

_PIPELINE_STAGES = PipelineArguments().stages


@dataclass
class LoopArguments(PipelineArguments):
    """``cfdpo loop`` arguments: the pipeline's data, sampling and training options plus the rounds."""

    out: str = field(default="runs/loop", metadata={"help": "Loop directory (round_<r>/ under it)."})
    rounds: int = field(default=2, metadata={"help": "On-policy rounds after round 0."})
    start: Literal["sft", "base"] = field(
        default="sft", metadata={"help": "Policy of round 1: sft (train SFT in round 0 and start from it) or base."}
    )
    chosen: Literal["best", "sample", "reference"] = field(
        default="best",
        metadata={
            "help": "Pairs' chosen side: best (a good sample of the policy, else the reference), sample (samples "
            "only) or reference (the paper: every bad sample against the reference)."
        },
    )
    fresh_programs: bool = field(
        default=False,
        metadata={
            "help": "Each round samples train programs no earlier round (nor SFT) used: round r takes the next "
            "prefs_limit programs of the train split, after SFT's train_limit; without it every round "
            "samples the same prefs_limit programs."
        },
    )

    def __post_init__(self) -> None:
        """Check every value before any work (raises :class:`~cfdpo.errors.OptionError`)."""
        from ..errors import OptionError
        from ..options import at_least, choice

        super().__post_init__()
        at_least("rounds", self.rounds, 1)
        choice("start", self.start, ("sft", "base"))
        choice("chosen", self.chosen, ("best", "sample", "reference"))
        self.check_pair_options(self.chosen)
        if self.stages != _PIPELINE_STAGES:
            raise OptionError("stages", "is a pipeline option; cfdpo loop runs --rounds")
        if self.fresh_programs and (self.prefs_limit is None or (self.start == "sft" and self.train_limit is None)):
            raise OptionError(
                "fresh_programs",
                "needs prefs_limit (programs per round) and, with start: sft, train_limit (SFT's programs come first)",
            )

    def check_losses(self) -> None:
        """Each round trains the loss of ``dpo.loss_type`` (default sigmoid; dpop with ``dpop_lambda``);
        ``dpo.label_smoothing`` applies to the sigmoid loss only.

        Raises:
            OptionError: naming the key.
        """
        from ..errors import OptionError

        if self.loss() != "sigmoid" and self.dpo.get("label_smoothing"):
            raise OptionError("dpo.label_smoothing", "applies to the sigmoid loss only (dpo.loss_type is dpop)")

    def loss(self) -> str:
        """The rounds' loss, from ``dpo.loss_type`` (TRL's key): ``sigmoid`` (DPO) or ``dpop`` (DPOP).

        Raises:
            OptionError: another loss.
        """
        from .training_runs import dpo_loss_name

        return dpo_loss_name(self.dpo.get("loss_type", "sigmoid"), "dpo.loss_type")

    def validating(self) -> bool:
        """Whether every policy is also evaluated on the validation split (``validation_problems`` > 0)."""
        return self.validation_problems > 0

    def round_skip(self, r: int) -> int:
        """How many train-split programs round ``r`` leaves out: 0 without ``fresh_programs``, else SFT's and
        the earlier rounds' programs."""
        if not self.fresh_programs:
            return 0
        return ((self.train_limit or 0) if self.start == "sft" else 0) + (r - 1) * (self.prefs_limit or 0)


def _label(args: LoopArguments, r: int) -> str:
    """The table label of round ``r``'s policy, e.g. ``+SFT+DPO r2``."""
    return f"{'+SFT' if args.start == 'sft' else 'Base'}+{_LOSS_LABELS.get(args.loss(), args.loss())} r{r}"


def run_loop(args: LoopArguments) -> dict[str, Any]:
    """Run (or resume) round 0 and every on-policy round, then write the report.

    Returns:
        The report (also ``results.json`` in ``args.out``): ``table`` (compile rate per policy),
        ``pass_at_1``, ``comparison`` (Wilson intervals; McNemar against Base and the starting policy),
        ``rounds`` (per round: pairs kept, sample compile rate of the policy, adapter path), ``wall_s``.
    """
    import time

    from ..evaluation.compare import compare, format_markdown, plot_comparison
    from ..runinfo import check_or_write_run_config, environment_info, write_json

    t0 = time.time()
    out = Path(args.out)  # a finished loop resumed with more --rounds goes on from its last round
    out.mkdir(parents=True, exist_ok=True)
    # validation_problems may be set on a resumed loop: it only measures, and _check_disjoint refuses the run
    # if a stage already made trained on a validation problem
    if check_or_write_run_config(
        out,
        asdict(args),
        ignore=("threads", "rounds", "validation_problems", *RUN_ONLY),
        defaults=asdict(LoopArguments()),
    ):
        _record_resumed(out, args)
    r0 = out / "round_0"
    evals: dict[str, dict[str, Any]] = {"Base": evaluate_stage(args, r0 / "eval-base", None)}
    val: dict[str, dict[str, Any]] = {}
    if args.validating():
        val["Base"] = evaluate_stage(args, r0 / "val-base", None, split="validation")
    policy: str | None = None
    start_label = "Base"
    if args.start == "sft":
        policy = sft_stage(args, r0 / "sft")
        _check_disjoint(val, r0 / "sft")
        evals["+SFT"] = evaluate_stage(args, r0 / "eval-sft", policy)
        if args.validating():
            val["+SFT"] = evaluate_stage(args, r0 / "val-sft", policy, split="validation")
        start_label = "+SFT"
    rounds: dict[str, Any] = {}
    for r in range(1, args.rounds + 1):
        label = _label(args, r)
        rd = out / f"round_{r}"
        log.info("round %d of %d: sampling from %s", r, args.rounds, policy or "the base model")
        # the same seed every round: it also fixes the train/test split (a new seed would leak test programs)
        prefs = prefs_stage(args, rd / "prefs", policy, chosen=args.chosen, skip=args.round_skip(r))
        if args.fresh_programs:
            got = sum(1 for _ in (prefs / "prompts.jsonl").open(encoding="utf-8"))
            if got < (args.prefs_limit or 0):
                log.warning(
                    "round %d: only %d fresh train programs were left of the %d asked for: the train split's pool is exhausted",
                    r,
                    got,
                    args.prefs_limit,
                )
        _check_disjoint(val, prefs)
        policy = dpo_stage(args, rd / "adapter", prefs, args.loss(), policy)
        evals[label] = evaluate_stage(args, rd / "eval", policy)
        if args.validating():
            val[label] = evaluate_stage(args, rd / "val", policy, split="validation")
        summary = _read_json(prefs / "prefs_summary.json")
        rounds[label] = {
            "pairs": summary.get("pairs_kept"),
            "adapter": policy,
            "policy_sample_compile_rate": (summary.get("samples_summary") or {}).get("compile_rate"),
            "policy_sample_pass_at_1": (summary.get("samples_summary") or {}).get("pass_at_1"),
        }
    baselines = ["Base"] + ([start_label] if start_label != "Base" else [])
    comparison = compare(evals, baselines=baselines, guard_reference=start_label)
    for flag in comparison["flags"]:
        log.warning("%s", flag)
    validation = compare(val, baselines=baselines, guard_reference=start_label) if val else None
    best = best_round(val) if val else None
    if best is not None:
        log.info("best round on the validation split: %s (%s)", best, _label(args, best) if best else start_label)
    report = {
        "table": {k: v["compile_rate"] for k, v in evals.items()},
        "pass_at_1": {k: v.get("pass_at_1") for k, v in evals.items()},
        "comparison": comparison,
        "validation": validation,
        "best_round": best,
        "rounds": rounds,
        "config": asdict(args),
        "environment": environment_info(),
        "wall_s": round(time.time() - t0, 1),  # this invocation's (a resumed run counts from its restart)
    }
    write_json(out / "results.json", report)
    (out / "table.md").write_text(
        f"On-policy rounds of {args.model}: every policy on the same held-out programs; McNemar against "
        f"{' and '.join(baselines)}.\n\n"
        + format_markdown(comparison)
        + "\n| round | pairs | policy's sample compile rate | sample pass@1 |\n|---|---|---|---|\n"
        + "".join(
            f"| {k} | {v['pairs']} | {v['policy_sample_compile_rate']} | {v['policy_sample_pass_at_1']} |\n"
            for k, v in rounds.items()
        )
        + (
            ""
            if validation is None
            else f"\nValidation split ({args.validation_problems} train problems set aside, none trained on or "
            f"tested; best_round = {best}):\n\n" + format_markdown(validation)
        )
    )
    plot_comparison(comparison, out / "compile_rate.png")
    return report


def _read_json(path: Path) -> dict[str, Any]:
    import json

    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def best_round(val: dict[str, dict[str, Any]]) -> int:
    """The round whose policy does best on the validation split: 0 for the starting policy (Base or +SFT),
    r for round r's. Ranked by pass@1 when the split has tests, then compile rate, then the earlier round
    (fewer rounds trained is the cheaper model to keep).

    Args:
        val: validation results by table label, in round order (``Base``, ``+SFT``, then one per round).
    """
    labels = list(val)
    start = 1 if len(labels) > 1 and labels[1] == "+SFT" else 0
    candidates = labels[start:]

    def key(i: int) -> tuple[float, float, int]:
        res = val[candidates[i]]
        return (res.get("pass_at_1") or 0.0, res.get("compile_rate") or 0.0, -i)

    return max(range(len(candidates)), key=key)


def _check_disjoint(val: dict[str, dict[str, Any]], stage: Path) -> None:
    """Refuse (one line naming the stage) when a training stage's prompts share a problem with the validation
    split: a loop made before ``validation_problems`` was set may have trained on them."""
    import json

    from ..errors import InputError

    if not val:
        return
    held = {pid.split("/", 1)[0] for pid in next(iter(val.values()))["per_program"]}
    with (stage / "prompts.jsonl").open(encoding="utf-8") as f:
        shared = sorted({json.loads(line)["problem_id"] for line in f} & held)
    if shared:
        raise InputError(
            f"{stage}: trained on {len(shared)} validation problem(s) ({', '.join(shared[:3])}); "
            "lower --validation_problems or use a new --out"
        )


def _record_resumed(out: Path, args: LoopArguments) -> None:
    """Set ``rounds`` and ``validation_problems`` in ``out/run_config.json`` of a resumed loop (the options
    that may change: earlier rounds depend on neither)."""
    from ..runinfo import write_json

    path = out / "run_config.json"
    rec = _read_json(path)
    for key in ("rounds", "validation_problems"):
        if rec["config"].get(key) != getattr(args, key):
            log.info("%s: %s %s -> %s", path, key, rec["config"].get(key), getattr(args, key))
            rec["config"][key] = getattr(args, key)
            write_json(path, rec)
