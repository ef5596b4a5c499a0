"""`cfdpo loop` with a tiny model: round 0, two on-policy rounds, the report, and resuming."""

from __future__ import annotations

import json

import pytest

from cfdpo.errors import OptionError
from cfdpo.stages.loop import LoopArguments, run_loop

from .conftest import SAMPLE


def _args(tiny_model_dir, out, **kw) -> LoopArguments:
    base = dict(
        out=str(out),
        model=str(tiny_model_dir),
        data=str(SAMPLE),
        eval_limit=4,
        train_limit=4,
        prefs_limit=2,
        num_samples=2,
        min_edit_distance=1,
        batch_size=2,
        compile_check=False,
        lora={"lora_r": 4, "lora_alpha": 4},
        sft={"max_steps": 2, "per_device_train_batch_size": 2},
        dpo={"max_steps": 2, "per_device_train_batch_size": 2, "learning_rate": 1e-3},
        train={"max_length": 128},
        threads=1,
        rounds=2,
    )
    base.update(kw)
    return LoopArguments(**base)


@pytest.mark.slow
def test_loop_rounds_train_on_their_own_samples_and_resume(tiny_model_dir, tmp_path):
    from safetensors.torch import load_file

    out = tmp_path / "loop"
    first = run_loop(_args(tiny_model_dir, out, rounds=1, fresh_programs=True, validation_problems=1))
    assert [r["label"] for r in first["comparison"]["rows"]] == ["Base", "+SFT", "+SFT+DPO r1"]
    r1 = (out / "round_1" / "adapter" / "adapter_model.safetensors").stat().st_mtime_ns
    res = run_loop(_args(tiny_model_dir, out, fresh_programs=True, validation_problems=1))  # one more round
    assert (out / "round_1" / "adapter" / "adapter_model.safetensors").stat().st_mtime_ns == r1
    assert json.loads((out / "run_config.json").read_text())["config"]["rounds"] == 2
    labels = [r["label"] for r in res["comparison"]["rows"]]
    assert labels == ["Base", "+SFT", "+SFT+DPO r1", "+SFT+DPO r2"]
    for r in (1, 2):
        rd = out / f"round_{r}"
        assert (rd / "adapter" / "adapter_model.safetensors").is_file()
        assert json.loads((rd / "eval" / "results.json").read_text())["n"] == 4
        samples = [json.loads(x) for x in (rd / "prefs" / "samples.jsonl").read_text().splitlines()]
        policy = str(out / "round_0" / "sft") if r == 1 else str(out / "round_1" / "adapter")
        assert {s["model"] for s in samples} == {f"{tiny_model_dir}+{policy}"}  # sampled from the current policy
    # each round moves the policy on from the previous one
    w1 = load_file(out / "round_1" / "adapter" / "adapter_model.safetensors")
    w2 = load_file(out / "round_2" / "adapter" / "adapter_model.safetensors")
    assert any(not (w1[k] == w2[k]).all() for k in w1)
    rows = {r["label"]: r for r in res["comparison"]["rows"]}
    assert set(rows["+SFT+DPO r2"]["vs"]) == {"Base", "+SFT"}
    assert "+SFT+DPO r2" in (out / "table.md").read_text() and (out / "compile_rate.png").is_file()
    stamp = (out / "round_2" / "adapter" / "adapter_model.safetensors").stat().st_mtime_ns
    # fresh programs: SFT's 4, round 1's 2 and round 2's 2 train programs are 8 distinct programs
    ids = [
        {json.loads(x)["id"] for x in (out / d / "prompts.jsonl").read_text().splitlines()}
        for d in ("round_0/sft", "round_1/prefs", "round_2/prefs")
    ]
    assert [len(x) for x in ids] == [4, 2, 2] and len(ids[0] | ids[1] | ids[2]) == 8
    # seen/unseen problems (the paper's split shares problems): round 2's policy saw SFT's and both rounds' prompts
    chain = {
        json.loads(x)["problem_id"]
        for d in ("round_0/sft", "round_1/prefs", "round_2/prefs")
        for x in (out / d / "prompts.jsonl").read_text().splitlines()
    }
    r2 = json.loads((out / "round_2" / "eval" / "results.json").read_text())
    su = r2["seen_unseen"]
    seen = [k for k in r2["per_program"] if k.split("/")[0] in chain]
    assert su["trained_problems"] == len(chain) and su["seen"]["programs"] == len(seen) > 0
    assert su["seen"]["programs"] + su["unseen"]["programs"] == 4
    assert su["seen"]["compile_rate"]["k"] == sum(r2["per_program"][k]["good"] for k in seen)
    assert "seen_unseen" not in json.loads((out / "round_0" / "eval-base" / "results.json").read_text())
    # the validation split: every policy on the last train problem's 7 programs, none trained on
    val_dirs = ["round_0/val-base", "round_0/val-sft", "round_1/val", "round_2/val"]
    held = set()
    for d in val_dirs:
        got = json.loads((out / d / "results.json").read_text())
        assert got["n"] == 7 and got["config"]["split"] == "validation"
        held |= {k.split("/")[0] for k in got["per_program"]}
    assert len(held) == 1 and not held & {i.split("/")[0] for i in ids[0] | ids[1] | ids[2]}
    assert [r["label"] for r in res["validation"]["rows"]] == labels and res["best_round"] in (0, 1, 2)
    assert "Validation split" in (out / "table.md").read_text()
    again = run_loop(_args(tiny_model_dir, out, fresh_programs=True, validation_problems=1))  # all done: reused
    assert again["table"] == res["table"]
    assert (out / "round_2" / "adapter" / "adapter_model.safetensors").stat().st_mtime_ns == stamp


def test_loop_options_are_checked(tiny_model_dir, tmp_path):
    for kw, name in (
        (dict(rounds=0), "rounds"),
        (dict(start="sft2"), "start"),
        (dict(chosen="worst"), "chosen"),
        (dict(dpo={"loss_type": "ipo"}), "dpo.loss_type"),
        (dict(dpo={"loss_type": "dpop", "label_smoothing": 0.1}), "dpo.label_smoothing"),
        (dict(stages="base"), "stages"),
        (dict(fresh_programs=True, prefs_limit=None), "fresh_programs"),
    ):
        with pytest.raises(OptionError) as e:
            _args(tiny_model_dir, tmp_path / "x", **kw)
        assert e.value.option == name


def test_best_round_ranks_pass_at_1_then_compile_rate_then_the_earlier_round():
    from cfdpo.stages.loop import best_round

    def res(c, p):
        return {"compile_rate": c, "pass_at_1": p}

    val = {"Base": res(0.9, 0.9), "+SFT": res(0.5, 0.2), "r1": res(0.6, 0.3), "r2": res(0.7, 0.3)}
    assert best_round(val) == 2  # Base is no round; r1 and r2 tie on pass@1, r2 compiles more
    val["r2"] = res(0.6, 0.3)
    assert best_round(val) == 1  # a full tie: the earlier round
    assert best_round({"Base": res(0.5, None), "Base+DPO r1": res(0.4, None)}) == 0  # start: base, no tests


def test_a_stage_that_trained_on_a_validation_problem_is_refused(tmp_path):
    from cfdpo.errors import InputError
    from cfdpo.stages.loop import _check_disjoint

    stage = tmp_path / "sft"
    stage.mkdir()
    (stage / "prompts.jsonl").write_text(json.dumps({"id": "p1/s1", "problem_id": "p1"}) + "\n")
    _check_disjoint({"Base": {"per_program": {"p2/s9": {}}}}, stage)  # disjoint: nothing said
    with pytest.raises(InputError, match=r"sft: trained on 1 validation problem\(s\) \(p1\)"):
        _check_disjoint({"Base": {"per_program": {"p1/s7": {}}}}, stage)


def test_the_loop_recipe_trains_three_rounds_on_distinct_programs_outside_validation():
    """Three rounds of the recipe: SFT's 100 and each round's 100 train programs are 400 distinct programs of
    the codechef train split, none from a validation or test problem."""
    import yaml

    from cfdpo.corpus.codenet import load_codenet

    from .conftest import CODECHEF, REPO

    if not CODECHEF.is_dir():
        pytest.skip("../shared/corpora/codechef is absent")
    cfg = yaml.safe_load((REPO / "recipes" / "smollm2-135m" / "loop.yaml").read_text())
    args = LoopArguments(**{**cfg, "data": str(CODECHEF), "rounds": 3})
    slices = [(0, args.train_limit)] + [(args.round_skip(r), args.prefs_limit) for r in (1, 2, 3)]
    kw = dict(
        show_progress=False, holdout=args.holdout, max_chars=args.max_program_chars, validation_problems=args.validation_problems
    )
    train, _ = load_codenet(CODECHEF, splits=("train",), limit=slices[-1][0] + slices[-1][1], **kw)
    ids = [f"{r['problem_id']}/{r['submission_id']}" for r in train]
    used = [set(ids[s : s + n]) for s, n in slices]
    assert [len(u) for u in used] == [100, 100, 100, 100] and len(set().union(*used)) == 400
    other, _ = load_codenet(CODECHEF, splits=("validation", "test"), **kw)
    assert args.validation_problems > 0 and not {i.split("/")[0] for i in ids} & {r["problem_id"] for r in other}


def test_an_adapter_made_elsewhere_has_no_known_seen_problems(tmp_path):
    from cfdpo.evaluation.seen import trained_problems

    assert trained_problems(None) == set()
    (tmp_path / "adapter_config.json").write_text("{}")
    assert trained_problems(tmp_path) is None  # no cfdpo run config: unknown, not "none"
