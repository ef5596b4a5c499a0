"""What each isolation level contains, measured: the README's isolation table, regenerated.

    python benchmarks/isolation_table.py                     # as root (CI) ...
    setpriv --reuid=cfdpo-ci --regid=cfdpo-ci --init-groups python benchmarks/isolation_table.py   # ... and not

Runs the hostile-program suite of ``tests/test_execution.py`` (and a few probes: network, writes outside,
reading /etc/passwd at run time and at assembly time, ``kill(-1)``) under ``--isolation auto`` (bubblewrap)
and ``rlimits`` (Landlock where the kernel has it), and prints one markdown row per program with the
verdict it got and whether anything escaped: a process left alive, a file written outside, a secret in
its row. The header names the user it ran as.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cfdpo.scoring import CompileScorer
from cfdpo.scoring.execution import ExecutionScorer, TestCase
from cfdpo.scoring.landlock import landlock_abi
from cfdpo.scoring.sandbox import bwrap_usable
from tests.test_execution import ADD, COMPILE_HOSTILE, INCBIN, KILL_ALL, RUN_HOSTILE, SUM, _comms

SECRET = Path("/etc/passwd").read_text().splitlines()[0]
PROBES = {
    "network connect": (
        "#include <sys/socket.h>\n#include <netinet/in.h>\n#include <arpa/inet.h>\n#include <cstdio>\n"
        "int main(){int s=socket(AF_INET,SOCK_STREAM,0); sockaddr_in a{}; a.sin_family=AF_INET;"
        ' a.sin_port=htons(80); inet_pton(AF_INET,"127.0.0.1",&a.sin_addr);'
        ' int r=connect(s,(sockaddr*)&a,sizeof a); printf("%s\\n", r==0 ? "connected" : "blocked");}\n',
        "blocked",
    ),
    "write outside": None,  # filled in with a path below
    "read /etc/passwd": (
        '#include <cstdio>\nint main(){FILE*f=fopen("/etc/passwd","r"); int c;'
        ' if(!f){puts("none");return 0;} while((c=fgetc(f))!=EOF) putchar(c);}\n',
        "none",
    ),
    "asm .incbin /etc/passwd": (INCBIN, "x"),
    "kill(-1, SIGKILL)": (KILL_ALL, "7"),
}


def run_level(isolation: str, outside: Path) -> dict[str, str]:
    cs = CompileScorer(timeout_s=5, memory_mb=1024, isolation=isolation)
    try:
        ex = ExecutionScorer(
            CompileScorer(timeout_s=20, memory_mb=1024, isolation=isolation),
            time_limit_s=1,
            memory_mb=256,
            output_limit_kb=256,
            max_processes=16,
            isolation=isolation,
        )
    except ValueError as e:
        return {"*": f"refused: {e}"}
    probes = dict(PROBES)
    target = outside / f"escape-{isolation}.txt"
    if isolation == "rlimits" and os.geteuid() != 0 and landlock_abi() < 6:
        del probes["kill(-1, SIGKILL)"]  # it would reach this user's own processes (this script among them)
    probes["write outside"] = (
        '#include <cstdio>\nint main(){FILE*f=fopen("' + str(target) + '","w"); puts(f ? "wrote" : "refused");}\n',
        "refused",
    )
    names = [*RUN_HOSTILE, *probes]
    sources = [RUN_HOSTILE[n][0] for n in RUN_HOSTILE] + [probes[n][0] for n in probes] + [SUM]
    tests = [[ADD]] * len(RUN_HOSTILE) + [[TestCase("", probes[n][1])] for n in probes] + [[ADD]]
    bystander = subprocess.Popen(["sleep", "60"])
    results = ex.run_many(sources, tests, workers=2)
    out: dict[str, str] = {}
    for name, r in zip(names, results):
        leaked = SECRET in json.dumps(r.to_dict())
        verdict = r.verdict.value
        if name in probes:  # each probe prints the contained answer when it is contained
            held = r.verdict.value == "pass" or (name.startswith("asm") and r.verdict.value == "not_built")
            verdict = f"contained ({verdict})" if held else f"**not contained** ({verdict})"
        if name == "write outside" and target.exists():
            verdict += ", **file written**"
        out[name] = verdict + (", **secret leaked**" if leaked else "")
    out["bystander process"] = "alive" if bystander.poll() is None else "**killed**"
    bystander.kill()
    out["processes left after the batch"] = "**daemon alive**" if "cfdpo-daemon" in _comms() else "none"
    for name, r in zip(COMPILE_HOSTILE, cs.score_many(list(COMPILE_HOSTILE.values()), workers=2)):
        leaked = SECRET in json.dumps(r.to_dict())
        out[f"compile: {name}"] = r.verdict.value + (", **secret in diagnostics**" if leaked else "")
    return out


def main() -> None:
    user = "root" if os.geteuid() == 0 else f"uid {os.geteuid()} (not root)"
    with tempfile.TemporaryDirectory() as d:
        outside = Path(d)
        os.chmod(outside, 0o777)
        levels = {"auto": run_level("auto", outside), "rlimits": run_level("rlimits", outside)}
    box = ExecutionScorer(CompileScorer(isolation="rlimits"), isolation="rlimits").sandbox
    label = {
        "auto": "auto (bubblewrap)" if bwrap_usable() else "auto (no bubblewrap)",
        "rlimits": "rlimits" + (" + Landlock" if box.landlock else " (no Landlock)"),
    }
    print(f"Run as {user}:\n")
    print(f"| hostile program | `{label['auto']}` | `{label['rlimits']}` |")
    print("|---|---|---|")
    for name in dict.fromkeys([*levels["auto"], *levels["rlimits"]]):
        print(
            f"| {name} | {levels['auto'].get(name, levels['auto'].get('*', ''))} | "
            f"{levels['rlimits'].get(name, levels['rlimits'].get('*', ''))} |"
        )


if __name__ == "__main__":
    main()
