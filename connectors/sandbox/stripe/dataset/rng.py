"""The simulation's random stream."""

import bisect
import random
from typing import Any


class Random(random.Random):
    """``random.Random`` with cheap integer and weighted draws (the simulation's hot path)."""

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:  # type: ignore[override]
        if stop is None:
            start, stop = 0, start
        return start + int(self.random() * (stop - start))

    def choice(self, seq: Any) -> Any:
        return seq[int(self.random() * len(seq))]

    def pick(self, population: Any, cumulative: list[int]) -> Any:
        """One element of ``population`` drawn with the given cumulative weights."""
        return population[bisect.bisect(cumulative, self.random() * cumulative[-1])]
