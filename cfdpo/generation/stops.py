"""When a sequence stops: one rule, used by both generation backends.

A stop rule is a small JSON-able dict, so that it can travel to vLLM's engine
process inside a request's ``SamplingParams.extra_args``:

* ``{"kind": "program", "prompt": ..., "format": "raw"|"chat"}``: stop once the
  program is complete (:func:`cfdpo.corpus.prompts.is_complete`: a code fence,
  or the braces of prompt + generated text balanced back to zero);
* ``{"kind": "pattern", "pattern": REGEX}``: stop once the generated text
  matches (compiler tasks: the end of a code block or of a pass list).

:class:`StopRule` evaluates one rule on the text generated so far. The
transformers backend calls it from a ``StoppingCriteria`` after every token; the
vLLM backend from a logits processor (:mod:`cfdpo.generation.vllm_stop`) that
then forces end-of-sequence, so both stop after the same token.
"""

from __future__ import annotations

import re
from typing import Any

from ..corpus.prompts import is_complete, scan

__all__ = ["StopRule", "pattern_stop", "program_stop"]


def program_stop(prompt: str, prompt_format: str) -> dict[str, Any]:
    """The rule "stop once ``prompt`` + generated text is a complete program" (``raw`` or ``chat`` format)."""
    return {"kind": "program", "prompt": prompt, "format": prompt_format}


def pattern_stop(pattern: str) -> dict[str, Any]:
    """The rule "stop once the generated text matches the regular expression ``pattern``"."""
    return {"kind": "pattern", "pattern": pattern}


class StopRule:
    """One stop rule, compiled (the prompt scanned once, the pattern compiled once).

    Args:
        spec: a dict from :func:`program_stop` or :func:`pattern_stop`.

    Raises:
        ValueError: an unknown ``kind``.
    """

    def __init__(self, spec: dict[str, Any]) -> None:
        self.kind = spec["kind"]
        if self.kind == "program":
            self.prompt: str = spec["prompt"]
            self.format: str = spec["format"]
            self.state = scan(self.prompt)[0]
        elif self.kind == "pattern":
            self.rx = re.compile(spec["pattern"])
        else:
            raise ValueError(f"unknown stop rule kind {self.kind!r}")

    def may_stop_after(self, last_token_text: str) -> bool:
        """Whether a sequence whose newest token decodes to ``last_token_text`` needs a full check.

        A program can only become complete at a ``}`` or a fence character, so the
        full text is decoded only then; a pattern is checked after every token.
        """
        return self.kind != "program" or "}" in last_token_text or "`" in last_token_text

    def reached(self, generated: str) -> bool:
        """Whether generation stops after ``generated`` (the text generated so far, special tokens removed)."""
        if self.kind == "program":
            return is_complete(self.prompt, generated, self.format, self.state)
        return self.rx.search(generated) is not None
