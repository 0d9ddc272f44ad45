"""A bounded cache of governed query results.

Keys bind the tenant, the published snapshot and the reader's whole effective policy context
(who, which policies, which attribute values) to the compiled SQL: never SQL text alone, so no
user is ever served another's rows and no one is served a result older than the data.
"""

import hashlib
import json
import threading
from dataclasses import asdict
from typing import Any

from cachetools import LRUCache

from governance.rls.context import Reader


def cache_key(tenant_id: str, snapshot: int, reader: Reader, compiled_sql: str) -> str:
    context = asdict(reader) | {"attributes": {k: list(v) for k, v in reader.attributes.items()}}
    material = json.dumps(
        [tenant_id, snapshot, context, compiled_sql], sort_keys=True, default=list
    )
    return hashlib.sha256(material.encode()).hexdigest()


class ResultCache:
    """Least-recently-used results, at most ``max_bytes`` of them in all; thread-safe.

    A result's size is its ``nbytes`` (the governed path measures every result); a result larger
    than the whole cache is not kept.
    """

    def __init__(self, max_bytes: int = 256 * 1024**2) -> None:
        self._entries: LRUCache[str, Any] = LRUCache(max_bytes, getsizeof=_size_of)
        self._lock = threading.Lock()

    def get(self, key: str) -> Any | None:
        with self._lock:
            return self._entries.get(key)

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            if _size_of(value) <= self._entries.maxsize:
                self._entries[key] = value


def _size_of(value: Any) -> int:
    return max(1, int(getattr(value, "nbytes", 1)))
