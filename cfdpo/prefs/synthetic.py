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
    (``int`` -> ``std::string`` and the like: "type mismatch");
``truncate``
    the completion stops early (30-80% of it kept, cut at a token boundary):
    the most frequent failure of small models ("expected ... at end of input").

Only the completion (the masked end) changes; the prompt stays as it is. A
variant is kept only when the compile scorer confirms it is bad (not ``good``
under the scorer's policy), so no program that still compiles is used as a
rejected answer.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from typing import Any

import Levenshtein

__all__ = ["KINDS", "corrupt", "make_negatives"]

KINDS = ("misspell", "drop_semicolon", "drop_brace", "change_type", "truncate")

_IDENT = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")
_KEYWORDS = frozenset(
    [
        "alignas",
        "alignof",
        "and",
        "asm",
        "auto",
        "bool",
        "break",
        "case",
        "catch",
        "char",
        "class",
        "const",
        "constexpr",
        "const_cast",
        "continue",
        "decltype",
        "default",
        "delete",
        "do",
        "double",
        "dynamic_cast",
        "else",
        "enum",
        "explicit",
        "export",
        "extern",
        "false",
        "float",
        "for",
        "friend",
        "goto",
        "if",
        "inline",
        "int",
        "long",
        "mutable",
        "namespace",
        "new",
        "noexcept",
        "not",
        "nullptr",
        "operator",
        "or",
        "private",
        "protected",
        "public",
        "register",
        "reinterpret_cast",
        "return",
        "short",
        "signed",
        "sizeof",
        "static",
        "static_assert",
        "static_cast",
        "struct",
        "switch",
        "template",
        "this",
        "throw",
        "true",
        "try",
        "typedef",
        "typeid",
        "typename",
        "union",
        "unsigned",
        "using",
        "virtual",
        "void",
        "volatile",
        "wchar_t",
        "while",
        "include",
        "define",
        "std",
        "cout",
        "cin",
        "endl",
        "printf",
        "scanf",
        "main",
        "string",
        "vector",
        "map",
        "set",
        "pair",
        "size",
        "push_back",
        "begin",
        "end",
    ]
)
_TYPES = {
    "int": "std::string",
    "long long": "std::string",
    "double": "std::string",
    "bool": "std::string",
    "char": "std::vector<int>",
    "float": "std::string",
    "string": "int*",
}


def _typo(word: str, rng: random.Random) -> str:
    if len(word) >= 3 and rng.random() < 0.5:
        i = rng.randrange(len(word) - 1)
        if word[i] != word[i + 1]:
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if len(word) >= 2 and rng.random() < 0.5:
        i = rng.randrange(len(word))
        return word[:i] + word[i + 1 :]
    i = rng.randrange(len(word))
    return word[: i + 1] + word[i] + word[i + 1 :]


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
            out = out[:i] + out[i + 1 :]
        return out
    if kind == "drop_brace":
        spots = [m.start() for m in re.finditer(r"\}", completion)]
        if not spots:
            return None
        i = rng.choice(spots)
        return completion[:i] + completion[i + 1 :]
    if kind == "change_type":
        typed = [(m.start(), m.end(), t) for t in _TYPES for m in re.finditer(rf"\b{re.escape(t)}\b(?=\s+[A-Za-z_])", completion)]
        if not typed:
            return None
        a, b, t = rng.choice(typed)
        return completion[:a] + _TYPES[t] + completion[b:]
    if kind == "truncate":
        cuts = [
            m.start()
            for m in re.finditer(r"\s+|(?<=[;{}()])", completion)
            if 0.3 * len(completion) <= m.start() <= 0.8 * len(completion)
        ]
        if not cuts:
            return None
        return completion[: rng.choice(cuts)]
    raise ValueError(f"unknown corruption kind {kind!r}; choose from {KINDS}")


def make_negatives(
    prompts: Iterable[dict[str, Any]],
    scorer: Any,
    per_prompt: int = 2,
    kinds: Sequence[str] = KINDS,
    seed: int = 0,
    workers: int | None = None,
    min_edit_distance: int = 0,
    max_corruptions: int = 6,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Synthetic negatives from each prompt's reference completion, confirmed bad by ``scorer``.

    A single corruption is usually a few characters; pairs that close are dropped by the edit-distance
    filter (they make DPO collapse, Jain et al. Sec. 5). So corruptions are stacked (a random kind at a
    time, at most ``max_corruptions``) until the variant is at least ``min_edit_distance`` characters
    (Levenshtein) from the reference; variants that cannot get that far are not kept (counted as
    ``too_close``). ``kind`` names the corruptions applied, joined by ``+``.

    Args:
        prompts: prompt rows (``id``, ``prompt``, ``reference_completion``).
        scorer: a :class:`~cfdpo.scoring.compile.CompileScorer` (its policy decides "bad").
        per_prompt: variants kept per prompt at most (kinds taken round-robin, then shuffled).
        kinds: corruption kinds to use (subset of :data:`KINDS`).
        seed: seeds the corruptions (each prompt gets ``Random(f"{seed}:{id}")``: order independent).
        workers: parallel compiles.

    Returns:
        ``(rows, summary)``: rows ``prompt_id, kind, completion, verdict, diagnostics``; the summary counts
        variants made, confirmed bad and discarded (still compiled; ``too_close``) per first kind.

    Raises:
        ValueError: an unknown kind.
    """
    for k in kinds:
        if k not in KINDS:
            raise ValueError(f"unknown corruption kind {k!r}; choose from {KINDS}")
    cands: list[dict[str, Any]] = []
    made = {k: 0 for k in kinds}
    too_close = 0
    for p in prompts:
        rng = random.Random(f"{seed}:{p['id']}")
        ref = p["reference_completion"]
        order = list(kinds) * 2
        rng.shuffle(order)
        seen: set[str] = set()
        for first in order[: 2 * per_prompt]:
            v, used = ref, []
            kind = first
            for _ in range(max_corruptions):
                w = corrupt(v, kind, rng)
                if w is not None and w != v:
                    v = w
                    used.append(kind)
                    if Levenshtein.distance(ref, v) >= min_edit_distance:
                        break
                kind = rng.choice(list(kinds))
            if not used or v == ref or v in seen:
                continue
            if Levenshtein.distance(ref, v) < min_edit_distance:
                too_close += 1
                continue
            seen.add(v)
            label = "+".join(dict.fromkeys(used))
            made[used[0]] += 1
            cands.append({"prompt_id": p["id"], "kind": label, "completion": v, "_prompt": p["prompt"], "_first": used[0]})
    results = scorer.score_many([c["_prompt"] + c["completion"] for c in cands], workers=workers)
    rows: list[dict[str, Any]] = []
    kept_per: dict[str, int] = {}
    confirmed = {k: 0 for k in kinds}
    still_good = {k: 0 for k in kinds}
    for c, r in zip(cands, results):
        if r.good:
            still_good[c["_first"]] += 1
            continue
        confirmed[c["_first"]] += 1
        if kept_per.get(c["prompt_id"], 0) >= per_prompt:
            continue
        kept_per[c["prompt_id"]] = kept_per.get(c["prompt_id"], 0) + 1
        rows.append(
            {
                "prompt_id": c["prompt_id"],
                "kind": c["kind"],
                "completion": c["completion"],
                "verdict": r.verdict.value,
                "diagnostics": [d.to_dict() for d in r.diagnostics],
            }
        )
    summary = {
        "made": made,
        "confirmed_bad": confirmed,
        "still_compiled": still_good,
        "kept": len(rows),
        "too_close": too_close,
        "min_edit_distance": min_edit_distance,
        "per_prompt": per_prompt,
        "seed": seed,
        "note": "counts by the first corruption applied",
    }
    return rows, summary
