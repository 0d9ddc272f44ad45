"""Bursts: runs of events, per tenant and key, that reach a threshold within a sliding window."""

from collections import Counter, deque
from collections.abc import Callable, Hashable, Iterable
from datetime import timedelta
from operator import attrgetter

from governance.anomalies.model import Event

Burst = list[Event]


class _Scan:
    """The greedy scan of one tenant's and key's events, oldest first."""

    def __init__(self, window: timedelta, threshold: int, value: Callable[[Event], Hashable]):
        self.window = window
        self.threshold = threshold
        self.value = value
        self.recent: deque[Event] = deque()
        self.values: Counter[Hashable] = Counter()
        self.burst: Burst | None = None

    def add(self, event: Event) -> Burst | None:
        """Take the next event; the burst it closes, if it closes one."""
        closed = None
        if self.burst is not None:
            if event.occurred_at - self.burst[0].occurred_at <= self.window:
                self.burst.append(event)
                return None
            closed, self.burst = self.burst, None
        self.recent.append(event)
        self.values[self.value(event)] += 1
        horizon = event.occurred_at - self.window
        while self.recent[0].occurred_at < horizon:
            gone = self.value(self.recent.popleft())
            self.values[gone] -= 1
            if not self.values[gone]:
                del self.values[gone]
        if len(self.values) >= self.threshold:
            self.burst = list(self.recent)
            self.recent.clear()
            self.values.clear()
        return closed


def bursts(
    events: Iterable[Event],
    key: Callable[[Event], Hashable],
    window: timedelta,
    threshold: int,
    value: Callable[[Event], Hashable] = attrgetter("sequence"),
) -> list[Burst]:
    """Bursts in ``events`` (oldest first), per tenant and ``key``, oldest first.

    A burst opens once the events within ``window`` up to one have ``threshold`` distinct
    ``value``s (by default each event counts); it takes the key's events up to ``window`` after
    its first, and the next burst starts after it (a greedy scan: one finding per burst).
    """
    scans: dict[tuple[str | None, Hashable], _Scan] = {}
    found: list[Burst] = []
    for event in events:
        subject = (event.tenant, key(event))
        scan = scans.get(subject)
        if scan is None:
            scan = scans[subject] = _Scan(window, threshold, value)
        closed = scan.add(event)
        if closed is not None:
            found.append(closed)
    found.extend(scan.burst for scan in scans.values() if scan.burst is not None)
    found.sort(key=lambda burst: burst[0].occurred_at)
    return found
