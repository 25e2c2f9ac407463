"""`make mutants`: mutation testing of chosen modules with mutmut, reported per module.

mutmut mutates a copy of the source and runs the tests against it, so the tests must import
``funnelsync`` from that copy. Our setuptools ``package-dir`` layout (``core/`` installs as
``funnelsync``, ``sync/`` as ``funnelsync.sync``…) is not one mutmut knows, so this script
lays the package out as ``src/funnelsync/`` in a scratch directory (``build/mutation/``)
with a copy of ``tests/`` and ``pyproject.toml`` (plus a generated ``[tool.mutmut]``
section), runs ``mutmut run`` there and prints, per module, how many mutants the tests
killed. Each mutant runs only the tests that reach the mutated function.

Usage: ``python tools/mutants.py [MODULE_PATH ...]`` (default: :data:`MODULES`).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = ROOT / "build" / "mutation"
LAYOUT = {
    "core": "src/funnelsync",
    "sync": "src/funnelsync/sync",
    "plugins": "src/funnelsync/plugins",
}
"""Where each top-level source folder sits in the installed package (see pyproject.toml)."""

MODULES = [
    "core/scoring.py",
    "core/mapping.py",
    "core/contract.py",
    "core/secrets.py",
    "core/retry.py",
    "sync/engine/canonical.py",
    "sync/engine/identity.py",
    "sync/engine/lock.py",
    "sync/engine/planning.py",
    "sync/engine/progress.py",
    "sync/engine/pushing.py",
    "sync/engine/reading.py",
    "sync/engine/run.py",
]
TESTS = ["tests/core", "tests/sync/engine", "tests/plugins/csv"]
"""Tests every run uses, plus the mirror folder of each module (``tests/sync/report`` for
``sync/report/sla.py``); mutmut runs, per mutant, those reaching the mutated function."""
PYTEST_ARGS = ["-m", "not slow", "-p", "no:cacheprovider"]

ALSO_COPY = ["docs", "examples", "README.md"]
"""Files the tests read besides the package and the tests themselves."""

KILLED = {"killed", "timeout", "caught by type check"}


def _scratch_path(module: str) -> str:
    top, _, rest = module.partition("/")
    return f"{LAYOUT[top]}/{rest}"


def _tests_for(modules: list[str]) -> list[str]:
    folders = dict.fromkeys(TESTS)
    for module in modules:
        mirror = Path("tests", module).parent.as_posix()
        if (ROOT / mirror).is_dir():
            folders.setdefault(mirror)
    return list(folders)


def _prepare(modules: list[str], scratch: Path) -> None:
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for top, target in LAYOUT.items():
        shutil.copytree(ROOT / top, scratch / target, ignore=ignore, dirs_exist_ok=True)
    shutil.copytree(ROOT / "tests", scratch / "tests", ignore=ignore)
    for extra in ALSO_COPY:
        source = ROOT / extra
        if source.is_dir():
            shutil.copytree(source, scratch / extra, ignore=ignore)
        elif source.exists():
            shutil.copy2(source, scratch / extra)
    config = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    settings = {
        "source_paths": ["src"],
        "only_mutate": [_scratch_path(m) for m in modules],
        "pytest_add_cli_args_test_selection": [*_tests_for(modules), *PYTEST_ARGS],
        "use_git_change_detection": False,
        "also_copy": ALSO_COPY,
    }
    section = "\n[tool.mutmut]\n" + "".join(
        f"{key} = {json.dumps(value)}\n" for key, value in settings.items()
    )
    (scratch / "pyproject.toml").write_text(config + section, encoding="utf-8")
    tomllib.loads(config + section)  # fail here, not inside mutmut, if it is not valid


def _module_of(mutant: str) -> str:
    """``funnelsync.sync.engine.run.x_name__mutmut_3`` → ``sync/engine/run.py``."""
    dotted = mutant.split(".x", 1)[0].split(".xǁ", 1)[0]
    parts = dotted.removeprefix("funnelsync.").split(".")
    top = "sync" if parts[0] == "sync" else "plugins" if parts[0] == "plugins" else "core"
    rest = parts[1:] if top != "core" else parts
    return f"{top}/{'/'.join(rest)}.py"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", default=MODULES, help="source files to mutate")
    parser.add_argument("--max-children", type=int, default=2, help="mutants run at once")
    parser.add_argument("--scratch", type=Path, default=SCRATCH, help="where mutmut runs")
    args = parser.parse_args()
    scratch: Path = args.scratch.resolve()
    _prepare(args.modules, scratch)
    mutmut = [sys.executable, "-m", "mutmut"]
    log = scratch / "mutmut-run.log"
    print(f"mutating {len(args.modules)} modules; mutmut's progress goes to {log}", flush=True)
    with log.open("w", encoding="utf-8") as out:
        run = subprocess.run(  # noqa: S603 - our own interpreter and arguments
            [*mutmut, "run", "--max-children", str(args.max_children)],
            cwd=scratch,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    listed = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [*mutmut, "results", "--all", "true"],
        cwd=scratch,
        capture_output=True,
        text=True,
        check=False,
    )
    counts: dict[str, Counter[str]] = {}
    for line in listed.stdout.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if name:
            counts.setdefault(_module_of(name), Counter())[status] += 1
    total_killed = total = 0
    print(f"\n{'module':32} {'killed':>7} {'of':>5} {'rate':>6}  other outcomes")
    for module in sorted(counts):
        found = counts[module]
        killed = sum(n for status, n in found.items() if status in KILLED)
        mutants = sum(found.values())
        total_killed, total = total_killed + killed, total + mutants
        other = ", ".join(f"{n} {s}" for s, n in sorted(found.items()) if s not in KILLED)
        print(f"{module:32} {killed:7} {mutants:5} {killed / mutants:6.1%}  {other}")
    if total:
        print(f"{'all':32} {total_killed:7} {total:5} {total_killed / total:6.1%}")
    print(f"\nsurvivors: cd {scratch} && mutmut results; mutmut show NAME")
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
