"""Preference pairs from scored samples."""

from __future__ import annotations

import Levenshtein
import pytest

from cfdpo.prefs.pairs import build_preferences

PROMPTS = [
    {"id": "A/s1", "problem_id": "A", "prompt": "int main() {\n  retu", "reference_completion": "rn 0;\n}"},
    {"id": "B/s2", "problem_id": "B", "prompt": "int main() {", "reference_completion": " return 1; }"},
]


def sample(pid, k, comp, verdict):
    return {"prompt_id": pid, "sample_index": k, "completion": comp, "verdict": verdict, "good": verdict == "ok"}


SAMPLES = [
    sample("A/s1", 0, "rn 0;\n}", "ok"),  # good: never rejected
    sample("A/s1", 1, "rn 0\n}", "error"),  # distance 1: dropped at min 2
    sample("A/s1", 2, "rn x + y + z;\n}}}", "error"),
    sample("A/s1", 3, "rn x + y + z;\n}}}", "error"),  # duplicate rejected
    sample("A/s1", 4, "rn 0; int unused;\n}", "warning"),  # bad under warnings-are-errors
    sample("B/s2", 0, " return 1; } garbage garbage", "error"),
]


def test_pairs_follow_the_paper():
    rows, summary = build_preferences(PROMPTS, SAMPLES, min_edit_distance=2)
    assert [r["id"] for r in rows] == ["A/s1#2", "A/s1#4", "B/s2#0"]
    r = rows[0]
    assert r["prompt"] == PROMPTS[0]["prompt"] and r["chosen"] == "rn 0;\n}" and r["rejected"] == "rn x + y + z;\n}}}"
    assert r["chosen_source"] == "reference" and r["rejected_verdict"] == "error"
    assert r["edit_distance"] == Levenshtein.distance(r["chosen"], r["rejected"])
    assert all(x["prompt"] not in x["chosen"] for x in rows)  # completions only
    assert summary["pairs_kept"] == 3 and summary["prompts_with_pairs"] == 2
    assert summary["dropped"] == {"edit_distance": 1, "duplicate": 1}
    assert summary["bad_samples"] == 5 and summary["samples"] == 6
    assert summary["edit_distance_mean"] == round(sum(x["edit_distance"] for x in rows) / 3, 2)


def test_cap_and_threshold_and_chat_format():
    rows, summary = build_preferences(
        PROMPTS, SAMPLES, min_edit_distance=0, max_pairs_per_prompt=1, prompt_format="chat", render=lambda p: f"<user>{p}</user>"
    )
    assert [r["id"] for r in rows] == ["A/s1#1", "B/s2#0"]
    assert summary["dropped"]["max_pairs_per_prompt"] == 2
    assert rows[0]["chosen"] == "```cpp\nrn 0;\n}\n```" and rows[0]["prompt"].startswith("<user>")
    rows, summary = build_preferences(PROMPTS, SAMPLES, min_edit_distance=1000)
    assert rows == [] and summary["edit_distance_mean"] is None


@pytest.mark.parametrize(
    "policy, chosen",
    [("paper", "reference"), ("paper", "best"), ("graded", "reference"), ("graded", "best"), ("graded", "sample")],
)
@pytest.mark.parametrize("warnings", ["error", "allow"])
def test_every_pair_policy_follows_the_warnings_policy(policy, chosen, warnings):
    """A sample that compiles with a warning is rejected exactly when the run's policy counts warnings as
    failures (its ``good`` is False), whatever the pairing policy."""
    warn = {**sample("A/s1", 0, "rn 0; int unused_variable_here;\n}", "warning"), "good": warnings == "allow"}
    err = sample("A/s1", 1, "rn x + y + z + w;\n}}}", "error")
    ok = sample("A/s1", 2, "rn 0 + 0 + 0;\n}", "ok")  # with chosen=sample, only a sample can be chosen
    rows, _ = build_preferences(PROMPTS[:1], [warn, err, ok], min_edit_distance=1, policy=policy, chosen=chosen)
    rejected = {r["rejected"] for r in rows}
    assert err["completion"] in rejected
    assert (warn["completion"] in rejected) == (warnings == "error")
    assert ok["completion"] not in rejected


def test_unknown_policies_are_refused():
    with pytest.raises(ValueError, match="policy must be one of"):
        build_preferences(PROMPTS, SAMPLES, policy="bestest")
