"""Run one benchmark script from bench/ (or all of them) and let each print its figures.

Benchmarks are not tests: they print measurements beside a reference measured in the same run, and
never fail on a number. ``python bench/run.py NAME [ARGS...]`` runs ``bench/NAME.py``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def available() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.py") if p.stem not in {"run", "__init__"})


def main(argv: list[str]) -> int:
    name, *rest = argv or ["all"]
    names = available() if name == "all" else [name]
    unknown = [n for n in names if n not in available()]
    if unknown:
        print(f"unknown benchmark {unknown[0]!r}; available: {', '.join(available())}")
        return 2
    status = 0
    for bench in names:
        print(f"== bench/{bench}.py", flush=True)
        status |= subprocess.call([sys.executable, str(HERE / f"{bench}.py"), *rest])
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
