"""The package's layers import one way, and no module imports itself back through others.

scoring ← corpus, compiler_data ← generation ← prefs, evaluation, training ← stages ← commands ← cli,
with the small shared modules (errors, options, jsonl, tempdirs, raypool, schemas, runinfo, model_files) below them all. Every
import counts, including those inside functions.
"""

from __future__ import annotations

import ast
from collections import defaultdict

from .conftest import REPO

LAYERS: dict[str, float] = {
    "errors": 0,
    "jsonl": 0,
    "tempdirs": 0,
    "raypool": 0,
    "options": 0.5,
    "schemas": 0.5,
    "runinfo": 0.7,
    "model_files": 0.7,
    "scoring": 1,
    "corpus": 2,
    "compiler_data": 2,
    "rewards": 2.5,
    "generation": 3,
    "prefs": 4,
    "evaluation": 4,
    "training": 4,
    "stages": 5,
    "commands": 6,
    "cli": 7,
}


def _imports() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for f in (REPO / "cfdpo").rglob("*.py"):
        parts = list(f.relative_to(REPO).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        mod = ".".join(parts)
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = parts[: len(parts) - node.level + (1 if is_pkg else 0)]
                    stem = ".".join(base + ([node.module] if node.module else []))
                    targets = [stem] if node.module else [f"{stem}.{a.name}" for a in node.names]
                else:
                    targets = [node.module or ""]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            edges[mod].update(t for t in targets if t.startswith("cfdpo.") and t != mod)
    return edges


def _top(mod: str) -> str:
    return mod.split(".")[1]


def test_layers_import_one_way() -> None:
    wrong = []
    for mod, targets in _imports().items():
        if mod == "cfdpo":
            continue
        for t in targets:
            a, b = _top(mod), _top(t)
            if b not in LAYERS and not (REPO / "cfdpo" / f"{b}.py").exists() and not (REPO / "cfdpo" / b).is_dir():
                continue  # a name of the package itself (cfdpo.__version__)
            if a != b and LAYERS[b] >= LAYERS[a]:
                wrong.append(f"{mod} -> {t}")
    assert not wrong, wrong


def test_every_package_has_a_layer() -> None:
    tops = {
        p.stem if p.is_file() else p.name
        for p in (REPO / "cfdpo").iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p.is_dir() and (p / "__init__.py").exists())
    }
    tops |= {p.name for p in (REPO / "cfdpo").iterdir() if p.is_dir() and any(p.glob("*.py"))}
    assert tops <= set(LAYERS), sorted(tops - set(LAYERS))


def test_no_import_cycles() -> None:
    edges = _imports()
    mods = set(edges) | {t for ts in edges.values() for t in ts}

    def resolve(t: str) -> str:  # "cfdpo.x.y.Name" -> the module it names
        while t not in edges and "." in t and t not in mods:
            t = t.rsplit(".", 1)[0]
        return t

    graph = {m: {resolve(t) for t in ts} for m, ts in edges.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for m in sorted(graph):
        if m not in index:
            visit(m)
    assert not cycles, cycles


def test_commands_are_thin() -> None:
    long = {
        p.name: n
        for p in (REPO / "cfdpo" / "commands").glob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 120
    }
    assert not long, long


def test_no_module_imports_a_private_name_of_another() -> None:
    """A ``_name`` is its module's own: a stage (or any module) that needs it from another module gets a public
    name instead, so that a module can change its private helpers without reading its neighbours."""
    wrong = []
    for f in (REPO / "cfdpo").rglob("*.py"):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("cfdpo")):
                wrong += [
                    f"{f.relative_to(REPO)}: {node.module}.{a.name}"
                    for a in node.names
                    if a.name.startswith("_") and not a.name.startswith("__")
                ]
    assert not wrong, wrong


def test_no_module_is_over_400_lines() -> None:
    long = {
        str(p.relative_to(REPO)): n
        for p in (REPO / "cfdpo").rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert not long, long


#: modules of cfdpo/stages that every stage may use: the option groups, a sampling run's parts, the
#: training scaffolding; the other modules are stages, and a stage imports another only where it runs it
SHARED_STAGE_MODULES = {
    "configs",
    "model_configs",
    "common",
    "prompts",
    "sampling",
    "batch",
    "ray_sampling",
    "records",
    "training_runs",
    "training_sections",
}
RUNS = {"pipeline": {"evaluate", "build_prefs", "sft", "dpo", "report"}, "loop": {"pipeline"}, "evaluate": {"repair"}}


def test_stages_import_shared_modules_and_the_stages_they_run_only() -> None:
    """No sideways imports between stages (kto taking a predicate from repair, pass_lists a loader from
    llvm_ir): what two stages share lives in a shared module, in evaluation/ or in corpus/."""
    wrong = []
    for f in sorted((REPO / "cfdpo" / "stages").glob("*.py")):
        me = f.stem
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom) or not node.module:
                continue
            if node.level == 1:
                other = node.module.split(".")[0]
            elif node.level == 2 and node.module.startswith("stages."):
                other = node.module.split(".")[1]
            else:
                continue
            if me in SHARED_STAGE_MODULES and other not in SHARED_STAGE_MODULES:
                wrong.append(f"shared {me} -> stage {other}")
            elif me not in SHARED_STAGE_MODULES and other not in SHARED_STAGE_MODULES | RUNS.get(me, set()):
                wrong.append(f"{me} -> {other}")
    assert not wrong, wrong
