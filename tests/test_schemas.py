"""Row schemas: bad rows are named by file and line; docs/data.md's tables are the declared schemas."""

from __future__ import annotations

import json

import pytest

from cfdpo.errors import InputError
from cfdpo.schemas import SCHEMAS, read_rows, schema_markdown, validate_rows

from .conftest import REPO


def test_readme_holds_the_declared_schemas() -> None:
    readme = (REPO / "docs" / "data.md").read_text()
    start = readme.index("<!-- schema tables")
    block = readme[readme.index("\n", start) + 1 : readme.index("<!-- end of schema tables -->")]
    assert block == schema_markdown()
    for kind, s in SCHEMAS.items():
        assert f"**`{s.file}`** ({kind};" in block


def test_bad_rows_name_the_file_line_and_field(tmp_path) -> None:
    f = tmp_path / "samples.jsonl"
    good = {
        "id": "a#0",
        "prompt_id": "a",
        "prompt": "int main() {",
        "completion": "}",
        "verdict": "ok",
        "good": True,
        "diagnostics": [],
    }
    f.write_text(json.dumps(good) + "\n" + json.dumps({**good, "good": "yes"}) + "\n")
    with pytest.raises(InputError, match=r"samples.jsonl:2: field good must be bool, got str \('yes'\)"):
        read_rows("samples", f)
    f.write_text(json.dumps(good) + "\n" + json.dumps({k: v for k, v in good.items() if k != "verdict"}) + "\n")
    with pytest.raises(InputError, match=r"samples.jsonl:2: missing field\(s\) verdict of a samples.jsonl row"):
        read_rows("samples", f)
    f.write_text(json.dumps(good) + "\n[1, 2]\n")
    with pytest.raises(InputError, match=r":2: a row must be a JSON object, got list"):
        read_rows("samples", f)
    validate_rows("samples", [good, {**good, "exec_verdict": None, "tests_total": 2}], f)  # optional fields
    # chat rows (lists of messages) are valid train rows; a number is not
    validate_rows("sft_rows", [{"prompt": [{"role": "user", "content": "x"}], "completion": "y"}], "t.jsonl")
    with pytest.raises(InputError, match="t.jsonl:1: field completion must be text|messages"):
        validate_rows("sft_rows", [{"prompt": "x", "completion": 3}], "t.jsonl")


def test_runs_record_the_schema_version(tmp_path) -> None:
    from cfdpo.runinfo import check_or_write_run_config
    from cfdpo.schemas import SCHEMA_VERSION

    check_or_write_run_config(tmp_path, {"a": 1})
    assert json.loads((tmp_path / "run_config.json").read_text())["schema_version"] == SCHEMA_VERSION
