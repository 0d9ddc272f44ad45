"""``make bench``: run every benchmark, each in its own process, and print its JSON lines."""

import subprocess
import sys
from pathlib import Path

BENCHMARKS = ("bench_crypto.py", "bench_ingest.py", "bench_dagster.py", "bench_rls.py")


def main() -> int:
    folder = Path(__file__).parent
    failed = 0
    for name in BENCHMARKS:
        print(f"# {name}", flush=True)
        failed += subprocess.run([sys.executable, str(folder / name)]).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
