"""``cfdpo tables``: the result tables of README and ``docs/`` rewritten from the files committed under ``results/``.

Each table is a directory ``results/<table>/`` holding ``table.json`` (its title, the runs in row order as
``label -> file``, the baselines, and the commit the runs were measured at) and one ``<label>.json`` per run:
the evaluation's ``results.json`` with every per-program verdict (prompts without a sample folded in as
failures), its scorer policy, prompt settings and run config; samples and adapters stay out. A page (README
or a ``docs/*.md`` file) marks each table's place with ``<!-- table:NAME -->`` and ``<!-- /table:NAME -->``, each on a line of its own; ``cfdpo tables``
rewrites what is between them (:func:`cfdpo.evaluation.compare.format_markdown`: Wilson intervals, exact
McNemar on per-program verdicts, Holm-adjusted p), ``--check`` only says which tables differ (exit 1), and
``--add NAME LABEL=RUN_DIR`` copies an evaluate run's results into a table. A table whose code is older than
the code that renders it says so: every table names the commit its runs were measured at.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["TablesArguments", "add_run", "render_table", "run"]

log = logging.getLogger(__name__)


@dataclass
class TablesArguments:
    """``cfdpo tables`` arguments (YAML keys = these field names)."""

    results: str = field(default="results", metadata={"help": "The directory of committed result tables."})
    docs: list[str] = field(
        default_factory=lambda: ["README.md", "docs"],
        metadata={"help": "Pages whose marked tables are rewritten: markdown files, or directories of them."},
    )
    check: bool = field(
        default=False, metadata={"help": "Only check: exit 1 naming each table whose text differs from what its results give."}
    )
    add: list[str] = field(
        default_factory=list,
        metadata={
            "help": "NAME LABEL=RUN_DIR [LABEL=RUN_DIR ...]: copy evaluate runs' results into results/NAME "
            "(rows in this order; the first is the baseline unless table.json says otherwise)."
        },
    )
    measured_at: str | None = field(
        default=None, metadata={"help": "With --add: the commit the runs were measured at (default: the repository's HEAD)."}
    )
    title: str | None = field(default=None, metadata={"help": "With --add: the table's title."})

    def __post_init__(self) -> None:
        from ..errors import OptionError

        if self.add and (len(self.add) < 2 or any("=" not in a for a in self.add[1:])):
            raise OptionError("add", "takes NAME LABEL=RUN_DIR [LABEL=RUN_DIR ...]")
        if self.check and self.add:
            raise OptionError("check", "only checks; drop --add")


def _marker(name: str) -> tuple[str, str]:
    return f"<!-- table:{name} -->", f"<!-- /table:{name} -->"


def _load_table(d: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    from ..errors import InputError

    spec_path = d / "table.json"
    try:
        spec = json.loads(spec_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{spec_path}: no such file (a results table needs table.json)") from None
    except ValueError as e:
        raise InputError(f"{spec_path}: not valid JSON ({e})") from None
    evals = {}
    for label, name in spec["runs"].items():
        p = d / name
        try:
            evals[label] = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"{p}: no such file (named by {spec_path})") from None
        except ValueError as e:
            raise InputError(f"{p}: not valid JSON ({e})") from None
    return spec, evals


def render_table(d: str | Path) -> str:
    """The markdown of one results table: a provenance line, then :func:`~cfdpo.evaluation.compare.compare`'s
    table of its runs (rows in ``table.json`` order) against its baselines.

    Raises:
        InputError: a missing or malformed ``table.json`` or run file; runs that are not comparable
            (:func:`~cfdpo.evaluation.compare.comparability`) unless ``table.json`` says ``allow_mismatch``.
    """
    from ..errors import InputError
    from ..evaluation.compare import comparability, compare, format_markdown

    d = Path(d)
    spec, evals = _load_table(d)
    baselines = spec.get("baselines") or [next(iter(evals))]
    mismatches = comparability(evals)
    if mismatches and not spec.get("allow_mismatch"):
        raise InputError(f"{d}: runs are not comparable: {mismatches[0]}")
    for e in evals.values():
        e.setdefault("missing", sum(1 for v in e["per_program"].values() if v.get("missing")))
    comparison = compare(evals, baselines, spec.get("guard_reference") or baselines[0])
    head = f"*{spec.get('title', d.name)}* — from `results/{d.name}/`, measured at commit `{spec.get('measured_at', '?')}`"
    if spec.get("note"):
        head += f"; {spec['note']}"
    return head + ".\n\n" + format_markdown(comparison)


def add_run(table: Path, label: str, run_dir: Path) -> str:
    """Copy an evaluate run's ``results.json`` into ``table`` as ``<label>.json`` (spaces as ``_``), with the
    prompts that have no sample folded into ``per_program`` as failures (so the file alone gives the table);
    returns the file's name.

    Raises:
        UsageError: a label with other characters than letters, digits, spaces and ``_.+-``.
        InputError: see :func:`cfdpo.evaluation.compare.load_evaluation`.
    """
    from ..evaluation.compare import load_evaluation
    from ..runinfo import write_json

    name = f"{label.replace(' ', '_')}.json"
    if not re.fullmatch(r"[A-Za-z0-9_.+-]+\.json", name):
        from ..errors import UsageError

        raise UsageError(f"--add {label}: a label of letters, digits, spaces and _.+- is expected")
    write_json(table / name, load_evaluation(run_dir))
    return name


def _head() -> str:
    """The current repository's commit, short (``-dirty`` kept), from :func:`cfdpo.runinfo.git_commit`."""
    from ..runinfo import git_commit

    commit = git_commit(Path.cwd())
    if commit is None:
        return "?"
    return commit[:7] + ("-dirty" if commit.endswith("-dirty") else "")


def _rewrite(page: Path, results: Path, check: bool) -> list[str]:
    """Rewrite the marked tables of one page (unless ``check``); the names of those that differed."""
    from ..errors import InputError

    text = page.read_text(encoding="utf-8")
    changed = []
    for name in re.findall(r"^<!-- table:([A-Za-z0-9_.-]+) -->$", text, flags=re.MULTILINE):  # on its own line
        start, end = _marker(name)
        i, j = text.index(start) + len(start), text.find(end)
        if j < 0:
            raise InputError(f"{page}: {start} has no {end}")
        if not (results / name).is_dir():
            raise InputError(f"{page}: {start} names a table with no {results / name}/ directory")
        body = "\n" + render_table(results / name) + "\n"
        if text[i:j] != body:
            changed.append(name)
            text = text[:i] + body + text[j:]
    if changed and not check:
        page.write_text(text, encoding="utf-8")
    return changed


def run(args: TablesArguments) -> list[str]:
    """Add runs (``--add``), then rewrite (or ``--check``) every marked table of the ``--docs`` pages; returns
    ``page:table`` for each table that differed (with ``--check``) or was rewritten.

    Raises:
        InputError: no results directory, a marker without its results table or without its end marker.
    """
    from ..errors import InputError

    results = Path(args.results)
    if args.add:
        name, runs = args.add[0], args.add[1:]
        table = results / name
        table.mkdir(parents=True, exist_ok=True)
        spec_path = table / "table.json"
        spec = json.loads(spec_path.read_text(encoding="utf-8")) if spec_path.is_file() else {"runs": {}}
        for item in runs:
            label, _, path = item.partition("=")
            spec["runs"][label] = add_run(table, label, Path(path))
        spec["measured_at"] = args.measured_at or spec.get("measured_at") or _head()
        if args.title:
            spec["title"] = args.title
        spec_path.write_text(json.dumps(spec, indent=2) + "\n", encoding="utf-8")
        log.info("results/%s: %d run(s) added", name, len(runs))
    pages: list[Path] = []
    for d in args.docs:
        p = Path(d)
        if p.is_dir():
            pages += sorted(p.glob("*.md"))
        elif p.is_file():
            pages.append(p)
        else:
            raise InputError(f"--docs {p}: no such file or directory")
    changed = []
    for page in pages:
        changed += [f"{page}:{name}" for name in _rewrite(page, results, args.check)]
    return changed
