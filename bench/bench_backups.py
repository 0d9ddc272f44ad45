"""Backup and restore throughput against a plain copy of the same file, in the same run.

A tenant with one table of 1,000,000 rows (about 30 MiB encrypted) is backed up (the table
checksums, the snapshot sealed under the tenant's backups key, its control-plane rows, the
manifest, written to a local target) and restored into a new tenant (decrypted, verified
against the manifest, re-checksummed, copied into the new tenant's warehouse). Baseline: a plain
copy of the same snapshot file. Figures: MiB/s of the snapshot file, and the ratio to the copy
(target >= 0.5).
"""

import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.report import emit
from governance.platform import Platform
from governance.settings import Settings
from services import backups, tenants
from services.context import Operator, ServiceContext

ROWS = 1_000_000
MIB = 1024 * 1024


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        operator = ServiceContext(Platform(Settings(home=Path(tmp) / "home")), Operator("bench"))
        tenant = tenants.create_tenant(operator, "acme")
        warehouse = operator.platform.warehouse(tenant.id, "acme")
        with warehouse.write() as connection:
            connection.execute(
                "CREATE TABLE acme.events AS SELECT i AS id, md5(i::VARCHAR) AS actor,"
                f" i * 7 % 1000 AS amount, now() AS at FROM range({ROWS}) AS t(i)"
            )
        snapshot = warehouse.snapshots.current()
        size = snapshot.path.stat().st_size / MIB
        copied = Path(tmp) / "copy.duckdb"
        copy = min(timed(lambda: shutil.copyfile(snapshot.path, copied)) for _ in range(3))
        backup = timed(lambda: backups.backup(operator, "acme"))
        at = datetime.now(UTC)
        restore = timed(lambda: backups.restore(operator, "acme", at, into="acme_copy"))
    emit("backup_plain_copy_mib_s", size / copy, mib=round(size, 1))
    emit("backup_mib_s", size / backup, ratio_to_copy=round(copy / backup, 3), target=">= 0.5")
    emit("restore_mib_s", size / restore, ratio_to_copy=round(copy / restore, 3), target=">= 0.5")


if __name__ == "__main__":
    main()
