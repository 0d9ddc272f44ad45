"""CLI start-up: ``atspark --help`` and ``atspark tenant list`` against the floor any Python
command line built on the same libraries pays, ``python -c "import sqlalchemy, typer"``.

Each command runs ``--runs`` times, interleaved so that load on the machine hits all alike; the
ratios are of medians (target: at most 2). ``tenant list`` lists a control plane with a few
tenants, so it opens the database and reads. ``libraries`` imports only the third-party modules
``tenant list`` needs: the part of its time no code of ours can remove.

    .venv/bin/python -m bench.bench_cli [--runs 15]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import emit

ATSPARK = str(Path(sys.executable).parent / "atspark")
LIBRARIES = "sqlalchemy, sqlalchemy.orm, sqlalchemy.dialects.sqlite, typer.main, rich.table"
"""What ``tenant list`` cannot do without: the ORM, SQLite, rich tables and typer's parser.
(typer is held below 0.28, whose every option is coerced by a pydantic ``TypeAdapter``:
importing pydantic cost each command a tenth of a second.)"""
COMMANDS = {
    "floor": [sys.executable, "-c", "import sqlalchemy, typer"],
    "libraries": [sys.executable, "-c", f"import {LIBRARIES}"],
    "help": [ATSPARK, "--help"],
    "tenant_list": [ATSPARK, "tenant", "list"],
}


def wall_time(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = os.environ | {"ATSPARK_HOME": home}
        for slug in ("acme", "globex", "initech"):
            create = [ATSPARK, "tenant", "create", slug]
            subprocess.run(create, env=env, check=True, capture_output=True)
        times: dict[str, list[float]] = {name: [] for name in COMMANDS}
        for command in COMMANDS.values():  # warm the file cache
            wall_time(command, env)
        for _ in range(args.runs):
            for name, command in COMMANDS.items():
                times[name].append(wall_time(command, env))
    floor = statistics.median(times["floor"])
    for name in ("help", "tenant_list", "libraries"):
        median = statistics.median(times[name])
        emit(
            f"cli_{name}_ratio_to_import_floor",
            median / floor,
            "<= 2" if name != "libraries" else None,
            median_s=round(median, 3),
            floor_s=round(floor, 3),
            runs=args.runs,
        )


if __name__ == "__main__":
    main()
