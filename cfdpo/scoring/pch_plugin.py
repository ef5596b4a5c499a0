"""The GCC plugin that lets a precompiled header hold the headers' template instantiations.

GCC writes a PCH before it instantiates the templates that the headers' own inline code uses, so every
program compiled against it instantiates them again: of the 145 ms an empty ``main`` costs through the PCH
of ``<bits/stdc++.h>`` (g++ 12; plain: ~970 ms), 94% is that ("phase lang. deferred" of ``-ftime-report``).
``pch_instantiate.cc`` registers ``#pragma cfdpo instantiate``, which instantiates the pending templates
where it stands; :class:`~cfdpo.scoring.pch.PCHCache` ends a PCH's ``pre.h`` with it and builds the PCH with
``-fplugin=``, so programs that load the PCH find those templates instantiated (measured: 0.14 -> 0.04 s
for the empty ``main``). Only the PCH's build loads the plugin.

Why a verdict cannot change: the templates instantiated early are the ones the headers themselves
already used, with the headers' own types; their definitions were parsed before the pragma, so nothing
the program declares or defines later (macros included) enters them, and a template the program uses
with its own arguments is instantiated in the program's compile as before. Where that reasoning could
fail, the PCH is built without the pragma: when the instantiating build prints anything or fails.
``cfdpo.scoring.differential`` checks it against plain g++ (``benchmarks/scorer.py --differential``).

The plugin is compiled once per compiler (a few hundred ms) against the compiler's own plugin headers
(``g++ -print-file-name=plugin``; Debian: ``gcc-12-plugin-dev``). Without them it is not built and PCHs
hold no instantiations: the scorer is slower, its verdicts the same.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import threading
from importlib import resources

__all__ = ["PRAGMA", "instantiate_plugin", "plugin_include_dir"]

log = logging.getLogger(__name__)

#: the line that ends a PCH's pre.h when the plugin is loaded
PRAGMA = "#pragma cfdpo instantiate"

_lock = threading.Lock()
_built: dict[tuple[str, str], str | None] = {}


def plugin_include_dir(compiler_path: str) -> str | None:
    """The compiler's plugin header directory, or None when its headers are not installed."""
    try:
        out = subprocess.run(
            [compiler_path, "-print-file-name=plugin"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    inc = os.path.join(out.stdout.strip(), "include")
    return inc if os.path.isfile(os.path.join(inc, "gcc-plugin.h")) else None


def instantiate_plugin(compiler_path: str, compiler_version: str, directory: str) -> str | None:
    """Path of the built plugin (``pch_instantiate.so``) under ``directory``, building it once.

    Args:
        compiler_path: the g++ whose PCHs load it (the plugin is built by and for that compiler).
        compiler_version: its version line (part of where the plugin lives: another g++ gets its own).
        directory: a directory readable by the compiles (the PCH directory, which the sandbox mounts).

    Returns:
        The ``.so`` path, or None where the plugin headers are missing or the build fails (logged once).
    """
    try:
        src = resources.files("cfdpo.scoring").joinpath("pch_instantiate.cc").read_text(encoding="utf-8")
    except OSError as e:  # an install without the package data: PCHs without instantiations
        log.warning("no PCH plugin source (%s): PCHs hold no instantiations", e)
        return None
    key = hashlib.sha256(f"{compiler_path}\n{compiler_version}\n{src}".encode()).hexdigest()[:16]
    with _lock:
        if (directory, key) in _built:
            return _built[(directory, key)]
        path = os.path.join(directory, f"plugin-{key}", "pch_instantiate.so")
        so = path if os.path.isfile(path) else _build(compiler_path, src, path)
        _built[(directory, key)] = so
        return so


def _build(compiler_path: str, src: str, so: str) -> str | None:
    inc = plugin_include_dir(compiler_path)
    if inc is None:
        log.info("no GCC plugin headers for %s (Debian: gcc-12-plugin-dev): PCHs hold no instantiations", compiler_path)
        return None
    d = os.path.dirname(so)
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)
    tmp = f"{so}.{os.getpid()}.{threading.get_ident()}.tmp"
    cc = os.path.join(d, f"pch_instantiate.{os.getpid()}.cc")
    try:
        with open(cc, "w", encoding="utf-8") as f:
            f.write(src)
        out = subprocess.run(
            [compiler_path, "-shared", "-fPIC", "-fno-rtti", "-O1", f"-I{inc}", cc, "-o", tmp],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        if out.returncode != 0 or not os.path.isfile(tmp):
            log.warning("cannot build the PCH plugin: %s", out.stderr.strip()[:300])
            return None
        os.chmod(tmp, 0o755)
        os.replace(tmp, so)  # atomic: another process may build it at the same time
        return so
    except (OSError, subprocess.SubprocessError) as e:
        log.warning("cannot build the PCH plugin: %s", e)
        return None
    finally:
        for p in (cc, tmp):
            if os.path.exists(p):
                os.remove(p)
