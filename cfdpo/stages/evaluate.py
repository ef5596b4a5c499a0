"""``cfdpo evaluate``: compile rate of a model's greedy completions on masked programs.

Writes into ``--out``: ``run_config.json`` (resolved config + environment),
``prompts.jsonl``, ``samples.jsonl`` (scored samples: raw and cleaned completion,
verdict, diagnostics) and ``results.json`` (compile rate, verdict counts, error
kinds, most frequent errors, clean-up applied, scorer policy, versions).
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from ..evaluation.summary import summarise_samples
from .batch import make_exec_scorer
from .common import CommonArguments, load_generator
from .records import prompt_fit_summary, run_record, start_run
from .sampling import sample_and_score

log = logging.getLogger(__name__)


@dataclass
class EvaluateArguments(CommonArguments):
    """``cfdpo evaluate`` arguments: greedy decoding, as in the paper's evaluation."""

    out: str = "runs/evaluate"
    repair_turns: int = field(
        default=0,
        metadata={"help": "Give every failing completion up to K turns of repair from its compiler feedback (repair@k)."},
    )
    repair_control: Literal["none", "resample"] = field(
        default="none",
        metadata={
            "help": "With --repair_turns: none, or resample (the control: every failing program gets as many "
            "extra attempts without feedback, its original prompt sampled at --repair_control_temperature; "
            "report: repair@k against control@k, McNemar on the same programs)."
        },
    )
    repair_control_temperature: float = field(
        default=0.8,
        metadata={"help": "Sampling temperature of the control's attempts (greedy would repeat turn 0)."},
    )
    repair_control_top_p: float = field(default=0.95, metadata={"help": "Nucleus sampling mass of the control's attempts."})

    def __post_init__(self) -> None:
        """Check every value before any work (raises :class:`~cfdpo.errors.OptionError`)."""
        from ..errors import OptionError
        from ..options import choice, in_range

        super().__post_init__()
        in_range("repair_turns", self.repair_turns, 0, 10, lo_open=False, hi_open=False)
        choice("repair_control", self.repair_control, ("none", "resample"))
        in_range("repair_control_temperature", self.repair_control_temperature, 0, 10)
        in_range("repair_control_top_p", self.repair_control_top_p, 0, 1, hi_open=False)
        if self.repair_control != "none" and not self.repair_turns:
            raise OptionError("repair_control", "needs --repair_turns K (the control gives K attempts too)")


def run(args: EvaluateArguments) -> dict[str, Any]:
    """Run an evaluation and return the results dict (also written to ``results.json``)."""
    from ..evaluation.compare import guards, per_program
    from ..evaluation.seen import seen_unseen, trained_problems
    from ..generation.decoding import DecodingConfig
    from ..model_files import check_model
    from ..runinfo import run_directory, write_json

    t0 = time.time()
    check_model(args.model, args.adapter)
    with run_directory(args.out) as out:
        scorer, prompts = start_run(args, out)
        decoding = DecodingConfig(do_sample=False, num_samples=1, max_new_tokens=args.max_new_tokens, seed=args.seed)

        def load() -> tuple[Any, Any]:
            return load_generator(args)

        executor = make_exec_scorer(args, scorer)
        samples = sample_and_score(prompts, args, decoding, scorer, out, load, executor)
        results = {
            "task": "compile_rate+pass@1" if executor is not None else "compile_rate",
            "model": args.model,
            "adapter": args.adapter,
            **summarise_samples(samples),
            "guards": guards(samples, prompts),
            "per_program": per_program(samples),
            "decoding": asdict(decoding),
            "prompt_format": args.prompt_format,
            "prompt_fit": prompt_fit_summary(args, out, samples),
            "cleanup_policy": "raw: cut at the first ``` fence, then where the braces balance; "
            "chat: code of the first fenced block, echoed prompt removed, then brace balance",
            **run_record(args, scorer, executor, t0, out=out),
        }
        trained = trained_problems(args.adapter) if args.adapter else None
        if trained is not None:  # which test programs are of problems the adapter's training saw
            results["seen_unseen"] = seen_unseen(results["per_program"], trained)
        if args.repair_turns:
            from ..evaluation.repair import plot_repair_curve, repair_summary
            from .repair import run_repair_turns

            history = run_repair_turns(prompts, samples, args.repair_turns, args, decoding, scorer, out, load, executor)
            results["repair"] = repair_summary(prompts, history, executor is not None, args.repair_turns)
            if args.repair_control == "resample":
                from dataclasses import replace

                from ..evaluation.repair import control_against_repair

                control = replace(
                    decoding, do_sample=True, temperature=args.repair_control_temperature, top_p=args.repair_control_top_p
                )
                chistory = run_repair_turns(
                    prompts, samples, args.repair_turns, args, control, scorer, out, load, executor, control=True
                )
                results["repair_control"] = {
                    "kind": "resample",
                    "decoding": asdict(control),
                    **repair_summary(prompts, chistory, executor is not None, args.repair_turns),
                }
                results["repair_vs_control"] = control_against_repair(results["repair"], results["repair_control"])
            plot_repair_curve(results["repair"], out / "repair_curve.png", args.adapter or args.model)
            results["wall_s"] = round(time.time() - t0, 1)
        write_json(out / "results.json", results)
        return results


def _ci(ci: list[float] | None) -> str:
    return f"[{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]" if ci else "-"


def format_table(results: dict[str, Any]) -> str:
    """A short text table of one evaluation."""
    lines = [
        f"model         {results['model']}" + (f" + {results['adapter']}" if results.get("adapter") else ""),
        f"programs      {results['n']}",
        f"compile rate  {100 * (results['compile_rate'] or 0):.2f}%  ({results['compiled']}/{results['n']}; "
        f"95% CI {_ci(results.get('compile_rate_ci'))})",
        *(
            [
                f"pass@1        {100 * (results['pass_at_1'] or 0):.2f}%  ({results['passed']}/{results['n_with_tests']} "
                f"with tests; 95% CI {_ci(results.get('pass_at_1_ci'))}; "
                + ", ".join(f"{k}={v}" for k, v in results["exec_verdicts"].items())
                + ")"
            ]
            if "pass_at_1" in results
            else []
        ),
        "verdicts      " + ", ".join(f"{k}={v}" for k, v in results["verdicts"].items()),
        "error kinds   " + (", ".join(f"{k}={v}" for k, v in list(results["error_kinds"].items())[:6]) or "-"),
    ]
    su = results.get("seen_unseen")
    if su:
        lines.append(
            "seen/unseen   "
            + "; ".join(
                f"{k} problems: {su[k]['programs']} programs, compile {100 * (su[k]['compile_rate']['rate'] or 0):.1f}%"
                + (f", pass@1 {100 * (su[k]['pass_at_1']['rate'] or 0):.1f}%" if su[k]["pass_at_1"] else "")
                for k in ("seen", "unseen")
            )
            + f" ({su['trained_problems']} problems trained on)"
        )
    for msg, count in results["top_errors"][:5]:
        lines.append(f"  {count:5d}  {msg[:100]}")
    for v in results.get("repair_vs_control") or []:
        lines.append(
            f"repair@{v['turn']} vs control@{v['turn']}  compile {v['compile']['repair']:.1%} vs "
            f"{v['compile']['control']:.1%} (+{v['compile']['fixed']} / -{v['compile']['broken']}, p = "
            f"{v['compile']['p_value']:.3g})"
            + (
                f"; pass@1 {v['pass_at_1']['repair']:.1%} vs {v['pass_at_1']['control']:.1%} "
                f"(+{v['pass_at_1']['fixed']} / -{v['pass_at_1']['broken']}, p = {v['pass_at_1']['p_value']:.3g})"
                if v.get("pass_at_1")
                else ""
            )
        )
    for t in (results.get("repair") or {}).get("turns", [])[1:]:
        cr, pa = t["compile_rate"], t["pass_at_1"]
        lines.append(
            f"repair@{t['turn']}      compile {100 * (cr['rate'] or 0):.2f}% [{100 * cr['ci_low']:.1f}, "
            f"{100 * cr['ci_high']:.1f}]"
            + (f"  pass@1 {100 * (pa['rate'] or 0):.2f}% [{100 * pa['ci_low']:.1f}, {100 * pa['ci_high']:.1f}]" if pa else "")
            + f"  ({t['repaired']} repaired, {t['fixed']} fixed)"
        )
    return "\n".join(lines)
