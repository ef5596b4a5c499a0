"""Prompt formats, stopping and clean-up of model output."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cfdpo.corpus.prompts import balanced_cut, clean_completion, format_answer, is_complete, render_prompt, scan

PROMPT = '#include <iostream>\nint main() {\n    int n;\n    std::cin >> n;\n    if (n > 0) {\n        std::cout << "{";\n'


def test_scan_ignores_braces_in_literals_and_comments():
    st_, _ = scan('int f() { // }\n  /* } */ char c = \'}\'; const char* s = "}\\"}"; ')
    assert st_.depth == 1 and st_.mode == "code"
    assert scan("int x = 1'000'000; {")[0].depth == 1  # digit separators are not char literals


def test_raw_output_is_cut_at_fence_and_prose():
    raw = "    }\n    return 0;\n}\n```\n\nThis program reads n and prints { when positive."
    comp, steps = clean_completion(PROMPT, raw, "raw")
    assert comp == "    }\n    return 0;\n}"
    assert steps == ["fence_cut"]


def test_raw_output_is_cut_where_braces_balance():
    raw = "    }\n}\n\nint helper() { return 1; }\nint main2() {"
    comp, steps = clean_completion(PROMPT, raw, "raw")
    assert comp == "    }\n}" and steps == ["brace_balance_cut"]
    assert balanced_cut("int main() {", "}") == 1
    assert balanced_cut("int x;", "}") is None  # nothing open: nothing to balance


def test_chat_output_fenced_and_echo_removed():
    raw = "Here is the rest:\n```cpp\n" + PROMPT[-30:] + "    }\n}\n```\nHope this helps!"
    comp, steps = clean_completion(PROMPT, raw, "chat")
    assert comp == "    }\n}"
    assert steps == ["fenced_block", "prompt_echo_removed"]
    comp, steps = clean_completion(PROMPT, "```\n    }\n}", "chat")  # unclosed fence
    assert comp == "    }\n}" and "open_fence" in steps


def test_is_complete():
    assert not is_complete(PROMPT, "    }\n", "raw")
    assert is_complete(PROMPT, "    }\n}", "raw")
    assert is_complete(PROMPT, "    x++;\n```", "raw")
    assert not is_complete(PROMPT, "```cpp\n    }\n}\n", "chat")
    assert is_complete(PROMPT, "```cpp\n    }\n}\n```", "chat")


def test_render_prompt():
    assert render_prompt(PROMPT, "raw") == PROMPT
    text = render_prompt(PROMPT, "chat")  # no tokenizer: a plain transcript
    assert PROMPT in text and text.rstrip().endswith("Assistant:")
    assert format_answer("x", "chat") == "```cpp\nx\n```" and format_answer("x", "raw") == "x"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.text(max_size=300), st.sampled_from(["raw", "chat"]))
def test_clean_completion_never_crashes(prompt, raw, fmt):
    comp, steps = clean_completion(prompt, raw, fmt)
    assert isinstance(comp, str) and isinstance(steps, list)
    if fmt == "raw":
        assert raw.startswith(comp)  # raw clean-up only ever cuts
