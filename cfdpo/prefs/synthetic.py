"""Synthetic hard negatives: corrupt a good completion the ways models fail, keep what g++ rejects.

Jain et al. (Sec. 6) propose misspelling identifiers of the program to make bad
samples without sampling a model. We implement that and three other frequent
model failures seen in the error taxonomy:

``misspell``
    an identifier that occurs in the completion (not a keyword, not only from a
    library such as ``std``/``cout``) gets a typo (two letters swapped, one
    dropped or doubled) at every occurrence inside the completion, or at one
    of them (chosen at random), as in "undeclared identifier" errors;
``drop_semicolon``
    one or two statement-ending semicolons are deleted ("expected ';'");
``drop_brace``
    a closing brace is deleted (the program ends too early);
``change_type``
    a built-in type in a declaration becomes an incompatible one
    (``int`` -> ``std::string`` and the like: "type mismatch").

Only the completion (the masked end) changes; the prompt stays as it is. A
variant is kept only when the compile scorer confirms it is bad (not ``good``
under the scorer's policy), so no program that still compiles is used as a
rejected answer.
"""

from __future__ import annotations

import random
import re
from typing import Any, Iterable, Sequence

__all__ = ["KINDS", "corrupt", "make_negatives"]

KINDS = ("misspell", "drop_semicolon", "drop_brace", "change_type")

_IDENT = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")
_KEYWORDS = frozenset("""
alignas alignof and asm auto bool break case catch char class const constexpr const_cast continue decltype
default delete do double dynamic_cast else enum explicit export extern false float for friend goto if inline int
long mutable namespace new noexcept not nullptr operator or private protected public register reinterpret_cast
return short signed sizeof static static_assert static_cast struct switch template this throw true try typedef
typeid typename union unsigned using virtual void volatile wchar_t while include define std cout cin endl printf
scanf main string vector map set pair size push_back begin end
""".split())
_TYPES = {"int": "std::string", "long long": "std::string", "double": "std::string", "bool": "std::string",
          "char": "std::vector<int>", "float": "std::string", "string": "int*"}


def _typo(word: str, rng: random.Random) -> str:
    if len(word) >= 3 and rng.random() < 0.5:
        i = rng.randrange(len(word) - 1)
        if word[i] != word[i + 1]:
            return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if len(word) >= 2 and rng.random() < 0.5:
        i = rng.randrange(len(word))
        return word[:i] + word[i + 1:]
    i = rng.randrange(len(word))
    return word[: i + 1] + word[i] + word[i + 1:]


def corrupt(completion: str, kind: str, rng: random.Random) -> str | None:
    """One corrupted variant of ``completion`` (None when this kind does not apply to it).

    Raises:
        ValueError: an unknown kind.
    """
    if kind == "misspell":
        idents = sorted({m.group() for m in _IDENT.finditer(completion)} - _KEYWORDS)
        idents = [w for w in idents if not w.isdigit()]
        if not idents:
            return None
        word = rng.choice(idents)
        bad = _typo(word, rng)
        spans = [m.span() for m in re.finditer(rf"\b{re.escape(word)}\b", completion)]
        if rng.random() < 0.5:
            spans = [rng.choice(spans)]
        out = completion
        for a, b in reversed(spans):
            out = out[:a] + bad + out[b:]
        return out
    if kind == "drop_semicolon":
        spots = [m.start() for m in re.finditer(r";", completion)]
        if not spots:
            return None
        drop = sorted(rng.sample(spots, min(len(spots), rng.choice((1, 2)))), reverse=True)
        out = completion
        for i in drop:
            out = out[:i] + out[i + 1:]
        return out
    if kind == "drop_brace":
        spots = [m.start() for m in re.finditer(r"\}", completion)]
        if not spots:
            return None
        i = rng.choice(spots)
        return completion[:i] + completion[i + 1:]
    if kind == "change_type":
        spots = [(m.start(), m.end(), t) for t in _TYPES
                 for m in re.finditer(rf"\b{re.escape(t)}\b(?=\s+[A-Za-z_])", completion)]
        if not spots:
            return None
        a, b, t = rng.choice(spots)
        return completion[:a] + _TYPES[t] + completion[b:]
    raise ValueError(f"unknown corruption kind {kind!r}; choose from {KINDS}")


def make_negatives(
    prompts: Iterable[dict[str, Any]],
    scorer: Any,
    per_prompt: int = 2,
    kinds: Sequence[str] = KINDS,
    seed: int = 0,
    workers: int | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Synthetic negatives from each prompt's reference completion, confirmed bad by ``scorer``.

    Args:
        prompts: prompt rows (``id``, ``prompt``, ``reference_completion``).
        scorer: a :class:`~cfdpo.scoring.compile.CompileScorer` (its policy decides "bad").
        per_prompt: variants kept per prompt at most (kinds taken round-robin, then shuffled).
        kinds: corruption kinds to use (subset of :data:`KINDS`).
        seed: seeds the corruptions (each prompt gets ``Random(f"{seed}:{id}")``: order independent).
        workers: parallel compiles.

    Returns:
        ``(rows, summary)``: rows ``prompt_id, kind, completion, verdict, diagnostics``; the summary counts
        variants made, confirmed bad and discarded (still compiled, or identical) per kind.

    Raises:
        ValueError: an unknown kind.
    """
    for k in kinds:
        if k not in KINDS:
            raise ValueError(f"unknown corruption kind {k!r}; choose from {KINDS}")
    cands: list[dict[str, Any]] = []
    made = {k: 0 for k in kinds}
    for p in prompts:
        rng = random.Random(f"{seed}:{p['id']}")
        ref = p["reference_completion"]
        order = list(kinds) * 2
        rng.shuffle(order)
        seen: set[str] = set()
        for kind in order[: 2 * per_prompt]:
            v = corrupt(ref, kind, rng)
            if v is None or v == ref or v in seen:
                continue
            seen.add(v)
            made[kind] += 1
            cands.append({"prompt_id": p["id"], "kind": kind, "completion": v, "_prompt": p["prompt"]})
    results = scorer.score_many([c["_prompt"] + c["completion"] for c in cands], workers=workers)
    rows: list[dict[str, Any]] = []
    kept_per: dict[str, int] = {}
    confirmed = {k: 0 for k in kinds}
    still_good = {k: 0 for k in kinds}
    for c, r in zip(cands, results):
        if r.good:
            still_good[c["kind"]] += 1
            continue
        confirmed[c["kind"]] += 1
        if kept_per.get(c["prompt_id"], 0) >= per_prompt:
            continue
        kept_per[c["prompt_id"]] = kept_per.get(c["prompt_id"], 0) + 1
        rows.append({"prompt_id": c["prompt_id"], "kind": c["kind"], "completion": c["completion"],
                     "verdict": r.verdict.value, "diagnostics": [d.to_dict() for d in r.diagnostics]})
    summary = {"made": made, "confirmed_bad": confirmed, "still_compiled": still_good, "kept": len(rows),
               "per_prompt": per_prompt, "seed": seed}
    return rows, summary
