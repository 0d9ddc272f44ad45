"""Plaintext data keys kept in memory for a bounded time and number of uses."""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from governance.settings import Settings


@dataclass
class _Entry:
    key: bytes = field(repr=False)
    expires_at: float
    uses_left: int


class DataKeyCache:
    """Data keys by ``(tenant_id, purpose)``, each served at most ``max_uses`` times and for
    at most ``max_age_seconds``; then it is dropped and loaded again.

    Thread-safe. A load that overlaps :meth:`evict` for its tenant (say, a shred) is used
    once but not cached, so an evicted key never comes back from a load started before.
    """

    def __init__(
        self,
        max_age_seconds: float,
        max_uses: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_age_seconds <= 0 or max_uses <= 0:
            raise ValueError("a data key cache needs a positive lifetime and use count")
        self.max_age_seconds = max_age_seconds
        self.max_uses = max_uses
        self._clock = clock
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._evictions: dict[str, int] = {}  # per tenant, to spot loads overlapping evict()
        self._clears = 0
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> "DataKeyCache":
        return cls(settings.data_key_cache_seconds, settings.data_key_cache_uses)

    def get(self, tenant_id: str, purpose: str, load: Callable[[], bytes]) -> bytes:
        """The cached key, or ``load()``'s result (cached unless the tenant was evicted)."""
        with self._lock:
            entry = self._entries.get((tenant_id, purpose))
            if entry is not None and entry.expires_at > self._clock() and entry.uses_left > 0:
                entry.uses_left -= 1
                return entry.key
            self._entries.pop((tenant_id, purpose), None)
            version = self._version(tenant_id)
        key = load()
        with self._lock:
            if self._version(tenant_id) == version:
                self._entries[(tenant_id, purpose)] = _Entry(
                    key, self._clock() + self.max_age_seconds, self.max_uses - 1
                )
        return key

    def evict(self, tenant_id: str) -> None:
        """Drop every key of ``tenant_id``, including loads still in flight."""
        with self._lock:
            self._evictions[tenant_id] = self._evictions.get(tenant_id, 0) + 1
            for cache_key in [k for k in self._entries if k[0] == tenant_id]:
                del self._entries[cache_key]

    def clear(self) -> None:
        """Drop every key, including loads still in flight."""
        with self._lock:
            self._clears += 1
            self._entries.clear()

    def _version(self, tenant_id: str) -> tuple[int, int]:
        return self._clears, self._evictions.get(tenant_id, 0)
