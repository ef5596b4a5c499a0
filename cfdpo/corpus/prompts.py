"""Prompt formats, and turning raw model output back into a completion.

Two formats:

* ``raw``: the masked code itself is the model input; the model continues it.
* ``chat``: a system instruction, a one-shot Hello-World example and the masked
  program as a user message, rendered with the tokenizer's chat template; the
  model answers with the missing code in a ```cpp fence, which is parsed back.

Clean-up matters more than anything else for small models: measured on
SmolLM2-135M-Instruct with raw prompts, a model that completes the program goes
on with a code fence and prose. :func:`clean_completion` therefore cuts at the
first fence and at the point where the braces of prompt + completion balance back
to zero, and reports which steps it applied. Parsing never raises on junk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CHAT_SYSTEM",
    "PROMPT_FORMATS",
    "ScanState",
    "balanced_cut",
    "clean_completion",
    "format_answer",
    "is_complete",
    "render_prompt",
    "scan",
]

PROMPT_FORMATS = ("raw", "chat")

CHAT_SYSTEM = (
    "You are an expert C++ programmer. The user gives you the beginning of a C++17 program whose end "
    "is missing. Reply with only the missing code that continues the program exactly where it stops, "
    "inside one ```cpp code block, and nothing else."
)
_EXAMPLE_PROMPT = '#include <iostream>\n\nint main() {\n    std::cout << "Hello, '
_EXAMPLE_ANSWER = 'World!" << std::endl;\n    return 0;\n}'

FENCE = "```"


# ---------------------------------------------------------------------------
# a small C++ lexer state machine: enough to count braces outside comments,
# string literals and character literals.
@dataclass
class ScanState:
    """Lexical state after scanning some text: brace depth and what we are inside."""

    depth: int = 0
    mode: str = "code"  # code | line_comment | block_comment | string | char
    escape: bool = False
    prev: str = ""


def scan(text: str, state: ScanState | None = None, stop_at_zero: bool = False) -> tuple[ScanState, int | None]:
    """Scan ``text`` from ``state`` and track brace depth.

    Args:
        text: C++ text.
        state: the state to continue from (default: start of a file).
        stop_at_zero: stop at the first ``}`` that brings the depth from 1 to 0.

    Returns:
        ``(state, index)``: the final state, and with ``stop_at_zero`` the index
        just past the closing brace that balanced the text (``None`` otherwise or
        when it never balances). Depth can go negative for unbalanced input.
    """
    st = ScanState(**vars(state)) if state is not None else ScanState()
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        m = st.mode
        if m == "code":
            if c == "/" and i + 1 < n and text[i + 1] == "/":
                st.mode = "line_comment"
                i += 1
            elif c == "/" and i + 1 < n and text[i + 1] == "*":
                st.mode = "block_comment"
                i += 1
            elif c == '"':
                st.mode = "string"
            elif c == "'" and not (st.prev.isalnum()):  # 1'000'000 digit separators stay code
                st.mode = "char"
            elif c == "{":
                st.depth += 1
            elif c == "}":
                st.depth -= 1
                if stop_at_zero and st.depth == 0:
                    st.prev = c
                    return st, i + 1
        elif m == "line_comment":
            if c == "\n":
                st.mode = "code"
        elif m == "block_comment":
            if c == "*" and i + 1 < n and text[i + 1] == "/":
                st.mode = "code"
                i += 1
        elif m in ("string", "char"):
            if st.escape:
                st.escape = False
            elif c == "\\":
                st.escape = True
            elif (c == '"' and m == "string") or (c == "'" and m == "char") or c == "\n":
                st.mode = "code"
        st.prev = c
        i += 1
    return st, None


def balanced_cut(prompt: str, completion: str, prompt_state: ScanState | None = None) -> int | None:
    """Index in ``completion`` just past the brace that closes the prompt's open blocks.

    Args:
        prompt: the masked program.
        completion: the text after it.
        prompt_state: ``scan(prompt)[0]`` when already known (saves rescanning).

    Returns ``None`` when the prompt has no open brace (nothing to balance) or
    the completion never closes them.
    """
    st = prompt_state if prompt_state is not None else scan(prompt)[0]
    if st.depth <= 0:
        return None
    _, idx = scan(completion, st, stop_at_zero=True)
    return idx


def _extract_fenced(text: str) -> tuple[str, str]:
    """Code from the first fenced block of ``text`` and the name of the step used."""
    m = re.search(r"```[A-Za-z0-9_+#-]*[ \t]*\n?", text)
    if not m:
        return text, "no_fence"
    body = text[m.end() :]
    end = body.find(FENCE)
    if end < 0:
        return body, "open_fence"
    return body[:end], "fenced_block"


def _drop_repeated_prompt(prompt: str, code: str, min_overlap: int = 16) -> tuple[str, bool]:
    """Remove a repetition of the prompt at the start of ``code`` (chat models often echo it)."""
    c = code.lstrip()
    for p in (prompt, prompt.strip()):
        if p and c.startswith(p):
            return c[len(p) :], True
    # the longest suffix of the prompt that starts the code
    tail = prompt.lstrip()[-4000:]
    for k in range(len(tail), min_overlap - 1, -1):
        if c.startswith(tail[-k:]):
            return c[k:], True
    return code, False


def clean_completion(prompt: str, raw: str, prompt_format: str = "raw") -> tuple[str, list[str]]:
    """Turn raw model output into a completion of ``prompt``.

    Args:
        prompt: the masked program (code, not the rendered chat text).
        raw: the generated text.
        prompt_format: ``raw`` or ``chat``.

    Returns:
        ``(completion, steps)`` where ``steps`` names the clean-up steps that
        changed something: ``fence_cut``, ``fenced_block``, ``open_fence``,
        ``prompt_echo_removed``, ``brace_balance_cut``. Never raises on junk.
    """
    steps: list[str] = []
    text = raw
    if prompt_format == "chat":
        text, how = _extract_fenced(text)
        if how != "no_fence":
            steps.append(how)
        text, echoed = _drop_repeated_prompt(prompt, text)
        if echoed:
            steps.append("prompt_echo_removed")
    else:
        k = text.find(FENCE)
        if k >= 0:
            text = text[:k]
            steps.append("fence_cut")
    idx = balanced_cut(prompt, text)
    if idx is not None and text[idx:].strip():
        text = text[:idx]
        steps.append("brace_balance_cut")
    return text.rstrip(), steps


def is_complete(prompt: str, generated: str, prompt_format: str = "raw", prompt_state: ScanState | None = None) -> bool:
    """Whether generation can stop: the program is closed or a fence ended the code.

    Used as a per-sequence stopping criterion while sampling; pass
    ``prompt_state=scan(prompt)[0]`` to avoid rescanning the prompt at every step.
    """
    if prompt_format == "chat":
        m = re.search(r"```[A-Za-z0-9_+#-]*[ \t]*\n", generated)
        if m:
            return generated.find(FENCE, m.end()) >= 0
        return balanced_cut(prompt, generated, prompt_state) is not None
    if FENCE in generated:
        return True
    return balanced_cut(prompt, generated, prompt_state) is not None


def format_answer(completion: str, prompt_format: str = "raw") -> str:
    """A completion as the model is expected to write it (fenced for ``chat``)."""
    if prompt_format == "chat":
        return f"{FENCE}cpp\n{completion}\n{FENCE}"
    return completion


def chat_messages(prompt: str, feedback: str | None = None) -> list[dict[str, str]]:
    """The chat-format conversation for a masked program (system, one-shot, user).

    With ``feedback`` (a repair turn, :mod:`cfdpo.corpus.repair`) the last user turn starts with it.
    """
    user = f"{FENCE}cpp\n{prompt}\n{FENCE}"
    if feedback:
        user = f"{feedback}\n\nComplete the program again, correctly:\n{user}"
    return [
        {"role": "system", "content": CHAT_SYSTEM},
        {"role": "user", "content": f"{FENCE}cpp\n{_EXAMPLE_PROMPT}\n{FENCE}"},
        {"role": "assistant", "content": format_answer(_EXAMPLE_ANSWER, "chat")},
        {"role": "user", "content": user},
    ]


def render_prompt(prompt: str, prompt_format: str = "raw", tokenizer: Any = None, feedback: str | None = None) -> str:
    """The exact model input text for a masked program.

    Args:
        prompt: the masked program.
        prompt_format: ``raw`` (returned unchanged) or ``chat``.
        tokenizer: used for its chat template in ``chat`` format; without a
            template a plain ``System:/User:/Assistant:`` transcript is used.
        feedback: compiler feedback of a failed attempt (a repair turn): a ``//`` comment block before
            the program (raw) or the start of the user turn (chat); see :mod:`cfdpo.corpus.repair`.

    Raises:
        ValueError: an unknown format.
    """
    if prompt_format not in PROMPT_FORMATS:
        raise ValueError(f"prompt format must be one of {PROMPT_FORMATS}, got {prompt_format!r}")
    if prompt_format == "raw":
        if feedback:
            from .repair import raw_feedback_block

            return raw_feedback_block(feedback) + prompt
        return prompt
    msgs = chat_messages(prompt, feedback)
    if tokenizer is not None and getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
    lines = [f"{m['role'].capitalize()}: {m['content']}" for m in msgs]
    return "\n\n".join(lines) + "\n\nAssistant: "
