"""Two connections of one tenant ingest at once in separate processes while a reader polls."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from services import connections, tenants

ATSPARK = str(Path(sys.executable).parent / "atspark")
ROWS = 400_000


def _write_parquet(path: Path, offset: int) -> None:
    ids = pa.array(range(offset, offset + ROWS))
    pq.write_table(pa.table({"id": ids, "amount": pa.array([i % 997 for i in range(ROWS)])}), path)


def test_parallel_ingestion_and_reads_never_fail(operator, tmp_path):
    tenants.create_tenant(operator, "acme")
    for name, offset in (("left", 0), ("right", ROWS)):
        folder = tmp_path / name
        folder.mkdir()
        _write_parquet(folder / "events.parquet", offset)
        connections.add_connection(operator, "acme", "files", {"path": str(folder)}, {}, name)
    tenant = tenants.get_tenant(operator, "acme")
    warehouse = operator.platform.warehouse(tenant.id, "acme")

    writers = [
        subprocess.Popen(
            [ATSPARK, "ingest", "acme", name],
            env=os.environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("left", "right")
    ]
    reads, failures, seen_sequences = 0, [], set()
    while any(w.poll() is None for w in writers):
        try:
            with warehouse.read() as connection:
                connection.execute("SELECT count(*) FROM duckdb_tables()").fetchone()
            seen_sequences.add(warehouse.snapshots.current().sequence)
            reads += 1
        except Exception as error:  # any failure to read is what this test exists to catch
            failures.append(repr(error))
        time.sleep(0.02)
    outputs = [w.communicate() for w in writers]

    assert [w.returncode for w in writers] == [0, 0], outputs
    assert failures == [] and reads > 10
    # The reader kept reading while a load published: it saw the warehouse before and after.
    assert len(seen_sequences) >= 2, "the reader must have read across a publish"
    with warehouse.read() as connection:
        counts = connection.execute(
            "SELECT (SELECT count(*) FROM acme.left_events),"
            " (SELECT count(*) FROM acme.right_events)"
        ).fetchone()
    assert counts == (ROWS, ROWS)
    assert warehouse.snapshots.current().sequence == 3
