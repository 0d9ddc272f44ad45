"""How ingestion runs dlt in this process: telemetry off, routine notices dropped, GC spared.

Importing this module applies the first two; ``long_lived_objects_frozen`` wraps a run.
"""

import gc
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")


class _RoutineSchemaNotices(logging.Filter):
    """Drops dlt's notices that are routine for API sources and not for whoever runs a load.

    API objects carry every field, often null: dlt warns about each column a load left all-null
    (it appears once a value arrives, and the schema-drift check reports it then) and about each
    Arrow batch whose inferred types differ from the schema's (dlt keeps the schema's); and when
    a resource fails, about its extract threads not joining at once (the failure is reported).
    """

    ROUTINE = (
        "did not receive any data during this load",
        "several column hints were different",
        "could not be completed in",
    )

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(notice in message for notice in self.ROUTINE)


logging.getLogger("dlt").addFilter(_RoutineSchemaNotices())


@contextmanager
def long_lived_objects_frozen() -> Iterator[None]:
    """Spare the objects that exist before a run (imported modules, mostly) from garbage scans.

    A run allocates millions of short-lived objects, so the collector runs full collections,
    and each would walk every object the process already held: 15% of a 200,000-row run.
    ``gc.freeze`` parks those objects for the run's length; ``unfreeze`` hands them back.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
