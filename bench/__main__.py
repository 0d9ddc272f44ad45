"""``make bench``: run every benchmark, each in its own process, and print its JSON lines."""

import subprocess
import sys
from pathlib import Path

BENCHMARKS = (
    "bench_cli",
    "bench_crypto",
    "bench_ingest",
    "bench_dagster",
    "bench_connectors",
    "bench_hubspot",
    "bench_rls",
    "bench_audit",
    "bench_web",
    "bench_assist_offline",
    "bench_assist",
    "bench_anomalies",
    "bench_backups",
)


def main() -> int:
    repo = Path(__file__).resolve().parents[1]
    failed = 0
    for name in BENCHMARKS:
        print(f"# {name}", flush=True)
        command = [sys.executable, "-m", f"bench.{name}"]
        failed += subprocess.run(command, cwd=repo).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
