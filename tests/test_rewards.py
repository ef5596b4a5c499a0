"""The judge as a reward: TRL's signature, each tier of the graded scale on real g++ output, a hostile batch
that returns within its limit, and an import that needs no torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from cfdpo.rewards import RewardConfig, compile_reward, graded_reward, test_reward
from cfdpo.scoring.sandbox import bwrap_usable

from .conftest import REPO

PROMPT = '#include <cstdio>\nint main() {\n    int a, b;\n    scanf("%d %d", &a, &b);\n'
TESTS = [{"input": "3 4\n", "output": "7\n"}, {"input": "1 1\n", "output": "2\n"}]
ISO = "auto" if bwrap_usable() else "rlimits"

COMPLETIONS = {
    "passes_all": '    printf("%d\\n", a + b);\n    return 0;\n}\n',
    "passes_one": '    printf("%d\\n", a == 3 ? 7 : 0);\n    return 0;\n}\n',
    "passes_none": '    printf("%d\\n", a - b);\n    return 0;\n}\n',
    "warning": '    int unused;\n    printf("%d\\n", a + b);\n    return 0;\n}\n',
    "late_error": '    printf("%d\\n", a + b);\n    int x = 1;\n    x += 1;\n    return undeclared_late;\n}\n',
    "early_error": '    return undeclared_early + also_bad + more_bad;\n    printf("%d\\n", a + b);\n    int x = 1;\n}\n',
    "unfinished": '    printf("%d\\n", a + b);\n    if (a) {\n',
}


def _rewards(fn, names, tests=True):
    comps = [COMPLETIONS[n] for n in names]
    cols = {"tests": [json.dumps(TESTS)] * len(names)} if tests else {}
    return dict(zip(names, fn([PROMPT] * len(names), comps, **cols)))


def test_graded_tiers_on_real_gxx_output() -> None:
    graded = RewardConfig(isolation=ISO, extra_flags=("-Wall",), workers=2).graded()
    r = _rewards(graded, list(COMPLETIONS))
    assert r["passes_all"] == 1.0
    assert r["passes_one"] == 0.75
    assert r["passes_none"] == pytest.approx(0.6)
    assert r["warning"] == 0.4  # -Wall: unused variable, and --warnings error counts it as a failure
    assert r["unfinished"] == 0.0  # "expected '}' at end of input"
    # errors: later and fewer earn more, always under the warning tier
    assert 0.05 < r["early_error"] < r["late_error"] <= 0.25
    assert r["early_error"] == round(0.05 + 0.10 * 0 + 0.10 / 3, 4)  # at the first line, 3 errors
    order = ["unfinished", "early_error", "late_error", "warning", "passes_none", "passes_one", "passes_all"]
    assert [r[k] for k in order] == sorted(r[k] for k in order)
    # without tests, compiling is the top of the scale
    no_tests = _rewards(graded, ["passes_none", "warning"], tests=False)
    assert no_tests == {"passes_none": 1.0, "warning": 0.4}


def test_compile_and_test_rewards_and_trl_arguments() -> None:
    logged: dict[str, float] = {}
    names = ["passes_all", "passes_one", "late_error"]
    comps = [COMPLETIONS[n] for n in names]
    kw = dict(
        tests=[TESTS] * 3,
        completion_ids=[[1]] * 3,
        trainer_state=None,
        log_metric=lambda k, v: logged.__setitem__(k, v),
        log_extra=lambda *a: None,
    )
    cfg = RewardConfig(isolation=ISO)
    assert cfg.compile()([PROMPT] * 3, comps, **kw) == [1.0, 1.0, 0.0]
    assert cfg.tests()([PROMPT] * 3, comps, **kw) == [1.0, 0.5, 0.0]
    assert logged["cfdpo/compile_rate"] == pytest.approx(2 / 3) and "cfdpo/verdict_error" in logged
    assert cfg.graded().__name__ == "graded_reward"
    # conversational completions: the last message's content; a chat prompt needs a program column
    chat = [[{"role": "assistant", "content": "```cpp\n" + COMPLETIONS["passes_all"] + "```"}]]
    msgs = [[{"role": "user", "content": "complete it"}]]
    chat_cfg = RewardConfig(isolation=ISO, prompt_format="chat")
    assert chat_cfg.compile()(msgs, chat, program=[PROMPT]) == [1.0]
    assert chat_cfg.compile()(msgs, chat) == [None]  # no program column: the reward does not apply
    assert cfg.tests()([PROMPT], [COMPLETIONS["passes_all"]]) == [None]  # no tests: not applicable


def test_module_level_rewards_are_ready_for_trl() -> None:
    if not bwrap_usable():
        pytest.skip("the default rewards run tests under --isolation auto, which needs bubblewrap")
    comps = [COMPLETIONS["passes_all"], COMPLETIONS["early_error"]]
    assert compile_reward([PROMPT] * 2, comps) == [1.0, 0.0]
    assert test_reward([PROMPT] * 2, comps, sample_input=["3 4\n"] * 2, sample_output=["7\n"] * 2) == [1.0, 0.0]
    assert graded_reward([PROMPT] * 2, comps)[0] == 1.0


def test_a_hostile_batch_returns_within_its_limit() -> None:
    """An endless loop, a fork bomb, a compile bomb and huge output, beside a good program: the batch ends
    within 1.5x its limit, the hostile samples score 0, the good one 1, and nothing is left running."""
    hostile = {
        "loop": "    for (;;) {}\n}\n",
        "fork": "    while (1) fork();\n}\n",
        "output": "    for (;;) putchar('x');\n}\n",
    }
    fork_prompt = "#include <unistd.h>\n" + PROMPT
    bomb = "#define A(x) x x x x x x x x x x\n#define B(x) A(A(A(A(A(A(A(A(x))))))))\nB(B(B(int a;)))\nint main(){}\n"
    cfg = RewardConfig(isolation=ISO, compile_timeout_s=4, time_limit_s=1, batch_timeout_s=20, workers=2, cache=False)
    prompts = [PROMPT, fork_prompt, PROMPT, "", PROMPT]
    comps = [hostile["loop"], hostile["fork"], hostile["output"], bomb, COMPLETIONS["passes_all"]]
    t0 = time.monotonic()
    scores = cfg.graded()(prompts, comps, tests=[TESTS] * 5)
    wall = time.monotonic() - t0
    assert wall < 1.5 * 20
    assert scores[4] == 1.0
    assert scores[3] == 0.0  # the compile bomb: resource limit or timeout
    assert all(s is not None and s <= 0.6 for s in scores[:3])  # built, but failed every test
    assert cfg.tests()(prompts, comps, tests=[TESTS] * 5)[:3] == [0.0, 0.0, 0.0]


def test_the_batch_limit_scores_unfinished_samples_zero() -> None:
    slow = (
        "#include <cstdio>\n"
        + "".join(
            f"constexpr long f{k}(long n){{ long s=0; for(long i=0;i<200000000;i++) s+=i^n; return s; }}\n"
            f"constexpr long x{k} = f{k}({k});\n"
            for k in range(4)
        )
        + "int main() {\n"
    )
    # g++ stops a constexpr loop after 262144 iterations by default (an error within ~2 s, as fast as the batch
    # limit on a quiet machine: the test was flaky); lifted, the four loops keep g++ busy far past the limit
    limits = ("-fconstexpr-loop-limit=1000000000", "-fconstexpr-ops-limit=1000000000000")
    cfg = RewardConfig(isolation=ISO, compile_timeout_s=8, batch_timeout_s=2, workers=2, cache=False, extra_flags=limits)
    t0 = time.monotonic()
    scores = cfg.graded()([slow, PROMPT], ["    return 0;\n}\n", COMPLETIONS["passes_all"]], tests=[[], []])
    assert time.monotonic() - t0 < 3 * 2
    assert scores[0] == 0.0 and scores[1] == 1.0


def test_rewards_import_without_torch(tmp_path) -> None:
    """``from cfdpo.rewards import graded_reward`` in a process where torch cannot be imported."""
    blocker = tmp_path / "block"
    blocker.mkdir()
    for name in ("torch", "transformers", "trl", "datasets"):
        (blocker / f"{name}.py").write_text(f"raise ImportError('{name} is not installed here')\n")
    code = (
        "import sys; from cfdpo.rewards import graded_reward, RewardConfig; "
        "r = RewardConfig(isolation='rlimits', run_tests=False).graded()(['int main() {\\n'], ['  return 0;\\n}']); "
        "assert r == [1.0], r; assert 'torch' not in sys.modules or sys.modules['torch'].__file__.startswith("
        f"{str(blocker)!r}); print('ok')"
    )
    env = {**os.environ, "PYTHONPATH": f"{blocker}{os.pathsep}{REPO}"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]


def test_verl_and_openrlhf_hooks_call_the_same_judge(monkeypatch) -> None:
    """Called as verl's NaiveRewardManager and OpenRLHF's remote reward function call them."""
    from cfdpo.rewards.hosts import compute_score, reward_func

    monkeypatch.setenv("CFDPO_REWARD_CONFIG", json.dumps({"isolation": ISO, "workers": 2}))
    good = compute_score("codechef", COMPLETIONS["passes_all"], json.dumps(TESTS), {"prompt": PROMPT})
    assert good == {"score": 1.0, "compiled": 1.0, "pass_rate": 1.0}
    half = compute_score("codechef", COMPLETIONS["passes_one"], TESTS, {"prompt": PROMPT})
    assert half["score"] == 0.75 and half["pass_rate"] == 0.5
    assert compute_score("codechef", COMPLETIONS["late_error"], None, {"prompt": PROMPT})["compiled"] == 0.0
    with pytest.raises(ValueError, match="extra_info needs 'prompt'"):
        compute_score("codechef", "x", None, {})
    names = ["passes_all", "warning", "early_error"]
    out = reward_func([PROMPT + COMPLETIONS[n] for n in names], [PROMPT] * 3, [json.dumps(TESTS)] * 3)
    graded = RewardConfig(isolation=ISO, workers=2).graded()
    want = graded([PROMPT] * 3, [COMPLETIONS[n] for n in names], tests=[TESTS] * 3)
    assert [round(float(x), 4) for x in out["rewards"]] == want
    assert float(out["extra_logs"]["cfdpo/compile_rate"]) == pytest.approx(2 / 3)


def test_a_tested_sample_is_built_once_and_identical_samples_are_judged_once() -> None:
    """The reward's compile verdict and its test run come from one g++ build (the executable is kept), and a
    GRPO group's identical completions share one judgement; a cached failing verdict runs nothing."""
    cfg = RewardConfig(isolation=ISO, workers=2, cache=True, compile_timeout_s=30, extra_flags=("-DONE_BUILD",))
    judge = cfg.judge()
    before = judge.scorer.stats.get("full_builds", 0)
    names = ["passes_all", "passes_all", "passes_all", "early_error"]
    scores = cfg.graded()([PROMPT] * 4, [COMPLETIONS[n] for n in names], tests=[json.dumps(TESTS)] * 4)
    assert scores[:3] == [1.0, 1.0, 1.0] and scores[3] < 0.25
    assert judge.scorer.stats["full_builds"] - before == 2  # one build per distinct program
    again = cfg.graded()([PROMPT], [COMPLETIONS["early_error"]], tests=[json.dumps(TESTS)])
    assert again == [scores[3]] and judge.scorer.stats["full_builds"] - before == 2  # from the cache


def test_a_batchs_shared_preamble_gets_its_pch_at_the_first_compile(tmp_path) -> None:
    """The judge counts a batch's preambles before compiling it, so the 3 samples of a group that share one
    (the PCH policy's min_uses) all compile through its PCH, the first one included."""
    cfg = RewardConfig(isolation=ISO, workers=1, cache=False, compile_timeout_s=30, extra_flags=("-DPCH_BATCH",))
    judge = cfg.judge()
    assert judge.scorer.pch is not None and judge.scorer.pch.min_uses == 3
    progs = [f"#include <vector>\nint main() {{ std::vector<int> v({i}); return v.size(); }}\n" for i in range(3)]
    judged = judge.judge([""] * 3, progs)
    assert [j.good for j in judged] == [True] * 3
    assert all("-include" in j.compile.command for j in judged)
    assert judge.scorer.pch.builds == 1
