"""Row schemas: every JSONL file cfdpo writes, its fields, their types and meaning, checked on read.

One :class:`Schema` per file kind. A stage that reads rows another stage (or a
user) wrote goes through :func:`read_rows` / :func:`validate_rows`, so a bad row
is reported as ``file:line: problem`` (an :class:`~cfdpo.errors.InputError`)
before any work, instead of a ``KeyError`` deep inside a run. Required fields
are the ones some reader needs; the others are written by cfdpo and checked
for type when present. ``SCHEMA_VERSION`` goes into every run's
``run_config.json``; the "Row schemas" section of docs/data.md is :func:`schema_markdown`
(a test keeps the two equal).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["SCHEMAS", "SCHEMA_VERSION", "Field", "Schema", "read_rows", "schema_markdown", "validate_rows"]

#: bumped when a field changes meaning or a required field is added
SCHEMA_VERSION = 1

_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "list": (list,),
    "dict": (dict,),
    "str|null": (str, type(None)),
    "int|null": (int, type(None)),
    "float|null": (int, float, type(None)),
    "bool|null": (bool, type(None)),
    "list|null": (list, type(None)),
    "text|messages": (str, list),  # raw text, or TRL's conversational list of {"role", "content"}
}


@dataclass(frozen=True)
class Field:
    """One field of a row: name, type (a key of the type table: ``str``, ``int``, ``float``, ``bool``, ``list``,
    ``dict``, ``X|null``, ``text|messages``), meaning, and whether readers need it."""

    name: str
    type: str
    meaning: str
    required: bool = True


@dataclass(frozen=True)
class Schema:
    """The rows of one kind of file: where they come from and their fields."""

    file: str
    written_by: str
    fields: tuple[Field, ...]


def _f(spec: str) -> tuple[Field, ...]:
    """Fields from ``name: type: meaning`` lines; a ``?`` after the name marks an optional field."""
    out = []
    for line in spec.strip().splitlines():
        name, typ, meaning = (x.strip() for x in line.split(":", 2))
        out.append(Field(name.rstrip("?"), typ, meaning, not name.endswith("?")))
    return tuple(out)


SCHEMAS: dict[str, Schema] = {
    "prompts": Schema(
        "prompts.jsonl",
        "evaluate, build-prefs, data, sft (corpus); read by grpo --train_file",
        _f("""
        id: str: program id (problem/submission)
        problem_id: str: CodeNet problem id
        prompt: str: the masked program (its first 1 - mask_ratio of characters or lines)
        reference_completion: str: the masked-out end of the accepted program
        submission_id?: str: CodeNet submission id
        mask_ratio?: float: fraction masked
        mask_mode?: str: chars or lines
        prompt_format?: str: raw or chat
        split?: str: train or test
        tests?: list: sample tests, each {input, output}
        sample_input?: str|null: the problem's first sample input
        sample_output?: str|null: its expected output
    """),
    ),
    "samples": Schema(
        "samples.jsonl",
        "evaluate, build-prefs, loop (repair_<t>/samples.jsonl too)",
        _f("""
        id: str: sample id (prompt id#sample index)
        prompt_id: str: the prompt's id
        prompt: str: the masked program
        completion: str: the cleaned completion (prompt + completion is what g++ judged)
        verdict: str: ok, warning, error, timeout or resource_limit
        good: bool: compiles under the run's warnings policy
        diagnostics: list: g++ diagnostics, each {kind, message, line, column, option, file}
        problem_id?: str: CodeNet problem id
        sample_index?: int: 0 ... num_samples - 1
        raw_completion?: str: the model's text before clean-up
        cleanup?: list: clean-up steps applied
        model?: str: model (+adapter)
        decoding?: str: decoding config, JSON
        seed?: int: sampling seed
        prompt_truncated_chars?: int: characters cut from the prompt's start for the model (0: none)
        compile_ms?: float: compile time
        exec_verdict?: str|null: with tests: pass, wrong_answer, runtime_error, timeout, not_built, ...
        tests_passed?: int: sample tests passed
        tests_total?: int: sample tests run
        passed?: bool: all sample tests passed
        feedback?: str: repair turns: the compiler feedback the model read
        turn?: int: repair turns: the turn
    """),
    ),
    "preferences": Schema(
        "preferences.jsonl",
        "build-prefs, loop",
        _f("""
        prompt: text|messages: the model input (masked program, rendered chat, or chat messages)
        chosen: text|messages: the preferred completion
        rejected: text|messages: the dispreferred completion
        id?: str: pair id
        prompt_id?: str: the prompt's id
        problem_id?: str: CodeNet problem id
        edit_distance?: int: Levenshtein distance chosen-rejected
        chosen_source?: str: reference or sample
        rejected_source?: str: sample or synthetic
        chosen_rank?: int: graded pairs: rank of chosen
        rejected_rank?: int: graded pairs: rank of rejected
        rejected_verdict?: str: the rejected sample's verdict
    """),
    ),
    "sft_rows": Schema(
        "any --train_file of cfdpo sft",
        "llvm-ir --format pairs, repair-data, users",
        _f("""
        prompt: text|messages: the model input
        completion: text|messages: the target
    """),
    ),
    "skipped": Schema(
        "skipped.jsonl",
        "every stage that reads a corpus or generates",
        _f("""
        stage: str: load, mask, compile_check or generate
        reason: str: why the program was skipped
        path?: str: the file or prompt id
        problem_id?: str: CodeNet problem id
        detail?: str|null: more on the reason
    """),
    ),
    "ir": Schema(
        "ir.jsonl",
        "llvm-ir",
        _f("""
        id: str: program id (CodeNet problem/submission, or a path under --data)
        source: str: the program
        opt_level: str: O0, O1, O2, O3, Os or Oz
        ir: str: cleaned, verified textual IR
        language: str: C++ or C
        problem_id?: str: problem (or first path component)
        ir_instruction_count?: int: instructions in the IR
        clang_version?: str: clang's version line
        clang_path?: str: the clang binary
        cleaning?: list: cleaning steps applied
    """),
    ),
    "disassembly": Schema(
        "disassembly.jsonl",
        "llvm-ir --disassembly",
        _f("""
        id: str: program id
        opt_level: str: the IR's optimisation level
        asm: str: x86-64 assembly from llc, normalised
        ir: str: the IR it was lowered from
        language?: str: C++ or C
        problem_id?: str: problem
        asm_chars?: int: length of asm
        llc_flags?: list: llc's flags (the round trip uses them too)
        llvm_version?: int: LLVM release
    """),
    ),
    "emulation": Schema(
        "emulation.jsonl",
        "pass-lists emulate",
        _f("""
        id: str: program id
        input_ir: str: IR before the passes (-O2 -Xclang -disable-llvm-passes)
        pass_text: str: the pipeline text given to opt -passes=
        output_ir: str: opt's output
        output_size: int: binary size of the output (.text + .data bytes)
        list_index?: int: which random list of the program
        passes?: list: pass names
        input_size?: int: binary size of the input
        input_instructions?: int: IR instructions before
        output_instructions?: int: IR instructions after
        problem_id?: str: problem
        language?: str: C++ or C
        llvm_version?: int: LLVM release
        prompt?: str: LLM Compiler's emulation prompt
        answer?: str: the answer a perfect model gives
    """),
    ),
    "tuning": Schema(
        "tuning.jsonl",
        "pass-lists tune",
        _f("""
        id: str: program id
        input_ir: str: IR the list is tuned on
        size: int: binary size with the best list found
        oz_size: int: binary size with default<Oz>
        passes?: list: the best list found
        pass_text?: str: its pipeline text
        unoptimised_size?: int: binary size of the input
        improvement_over_oz?: float|null: 1 - size / oz_size
        input_instructions?: int: IR instructions before
        output_instructions?: int: IR instructions after
        own_list?: list: the program's own search result before broadcasting
        own_size?: int: its size
        validation?: str|null: differential test of the own list
        broadcast?: bool: a broadcast list won
        problem_id?: str: problem
        language?: str: C++ or C
        llvm_version?: int: LLVM release
        prompt?: str: LLM Compiler's flag-tuning prompt
        answer?: str: the answer a perfect model gives
    """),
    ),
    "predictions": Schema(
        "predictions.jsonl",
        "compiler-eval",
        _f("""
        key: str: row key within the task
        id: str: the row's program id
        task: str: emulate, tune or disassemble
        answer: str: the model's answer
        model?: str: model (+adapter)
        prompt_tokens?: int: tokens of the instruction
    """),
    ),
    "repair_sft": Schema(
        "repair_sft.jsonl",
        "repair-data",
        _f("""
        prompt: text|messages: repair prompt (feedback, then the masked program)
        completion: text|messages: a completion that succeeds
        prompt_id?: str: the program
        failed_sample?: str: the sample the feedback is about
        failed_verdict?: str: its verdict
        target_source?: str: sample or reference
        feedback?: str: the feedback text
    """),
    ),
    "repair_prefs": Schema(
        "repair_prefs.jsonl",
        "repair-data",
        _f("""
        prompt: text|messages: repair prompt
        chosen: text|messages: a completion that succeeds
        rejected: text|messages: the failed completion
        edit_distance?: int: Levenshtein distance of the two completions
        prompt_id?: str: the program
        target_source?: str: sample or reference
        feedback?: str: the feedback text
    """),
    ),
    "kto_rows": Schema(
        "a --train_file of cfdpo kto (or a samples.jsonl)",
        "users",
        _f("""
        prompt: str: the model input
        completion: str: the completion
        label: bool: desirable (the verdict is good)
    """),
    ),
}


def validate_rows(kind: str, rows: Sequence[Mapping[str, Any]], path: str | Path, first_line: int = 1) -> None:
    """Check rows against the schema of ``kind``.

    Raises:
        KeyError: an unknown kind.
        InputError: ``path:line: ...`` for the first row that is not an object, lacks a required field or
            has a field of the wrong type.
    """
    from .errors import InputError

    schema = SCHEMAS[kind]
    types = {f.name: f for f in schema.fields}
    for i, row in enumerate(rows, start=first_line):
        if not isinstance(row, Mapping):
            raise InputError(f"{path}:{i}: a row must be a JSON object, got {type(row).__name__}")
        missing = [f.name for f in schema.fields if f.required and f.name not in row]
        if missing:
            raise InputError(
                f"{path}:{i}: missing field(s) {', '.join(missing)} of a {schema.file} row (has {', '.join(row) or 'none'})"
            )
        for name, value in row.items():
            f = types.get(name)
            if f is not None and not isinstance(value, _TYPES[f.type]):
                raise InputError(f"{path}:{i}: field {name} must be {f.type}, got {type(value).__name__} ({str(value)[:40]!r})")


def read_rows(kind: str, path: str | Path, repair: bool = False) -> list[dict[str, Any]]:
    """:func:`cfdpo.jsonl.read_jsonl`, then :func:`validate_rows` (raises InputError naming file and line)."""
    from .errors import InputError
    from .jsonl import read_jsonl

    try:
        rows = read_jsonl(path, repair=repair)
    except ValueError as e:
        raise InputError(str(e)) from None
    validate_rows(kind, rows, path)
    return rows


def schema_markdown(kinds: Iterable[str] | None = None) -> str:
    """The row-schema tables of docs/data.md (one per file kind): field, type, required, meaning."""
    parts = []
    for kind in kinds or SCHEMAS:
        s = SCHEMAS[kind]
        parts.append(f"**`{s.file}`** ({kind}; written by {s.written_by})\n\n| field | type | | meaning |\n|---|---|---|---|")
        parts += [f"| `{f.name}` | {f.type} | {'required' if f.required else ''} | {f.meaning} |" for f in s.fields]
        parts.append("")
    return "\n".join(parts)
