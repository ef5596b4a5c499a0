"""Masking invariants (property tests) and the paper's character rule."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cfdpo.corpus.masking import mask_program

programs = st.text(min_size=2, max_size=400).filter(lambda s: len(s.strip()) >= 2)
ratios = st.floats(min_value=0.01, max_value=0.99)


@settings(max_examples=300, deadline=None)
@given(programs, ratios)
def test_chars_mode_invariants(src, ratio):
    m = mask_program(src, ratio, "chars")
    text = src.strip()
    assert m.prompt + m.reference_completion == text
    assert len(m.reference_completion) == min(max(int(ratio * len(text)), 1), len(text) - 1)
    assert m.prompt  # never empty


@settings(max_examples=300, deadline=None)
@given(programs, ratios)
def test_lines_mode_invariants(src, ratio):
    m = mask_program(src, ratio, "lines")
    chars = mask_program(src, ratio, "chars")
    text = src.strip()
    assert m.prompt + m.reference_completion == text
    assert len(m.reference_completion) >= len(chars.reference_completion)  # whole lines: at least as much
    assert m.prompt
    if len(m.reference_completion) > len(chars.reference_completion):
        assert m.prompt.endswith("\n")  # cut moved back to a line start


def test_paper_rule_on_a_worked_example():
    src = "\n  int main() { return 0; }  \n"  # 24 characters once stripped
    m = mask_program(src, 0.1)
    assert m.reference_completion == " }"  # int(0.1 * 24) = 2 characters
    assert m.prompt == "int main() { return 0;"
    assert mask_program("ab", 0.1).reference_completion == "b"  # at least one character


def test_lines_mode_on_a_worked_example():
    src = "int main() {\n  return 0;\n}\n"
    m = mask_program(src, 0.1, "lines")  # removes "\n}": the cut moves back to the start of line 2
    assert m.prompt == "int main() {\n" and m.reference_completion == "  return 0;\n}"
    m = mask_program("int main() {\n  int x = 1;\n  return x; }", 0.1, "lines")  # 3 chars, inside line 3
    assert m.prompt == "int main() {\n  int x = 1;\n" and m.reference_completion == "  return x; }"


@pytest.mark.parametrize("ratio", [0, 1, -0.1, 1.5])
def test_bad_ratio(ratio):
    with pytest.raises(ValueError, match="mask ratio"):
        mask_program("int main() {}", ratio)


def test_too_short_and_bad_mode():
    with pytest.raises(ValueError, match="too short"):
        mask_program("  x  ")
    with pytest.raises(ValueError, match="mask mode"):
        mask_program("int main() {}", 0.1, "tokens")
