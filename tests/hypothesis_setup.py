"""Hypothesis for the whole suite: one seed per run, printed, and a database of found examples.

Every run draws one seed (or takes ``--hypothesis-seed`` or ``ATSPARK_HYPOTHESIS_SEED``) and every
process of the run uses it, so a failure in CI replays with the seed its header printed. Examples
that failed are kept in ``.hypothesis/examples`` and tried first on the next run; the ones worth
keeping for good are copied into the tests as ``@example`` or SQL fixtures.
"""

import os
import random
from pathlib import Path

from hypothesis import core, settings
from hypothesis.database import DirectoryBasedExampleDatabase

SEED_VARIABLE = "ATSPARK_HYPOTHESIS_SEED"
EXAMPLES = Path(__file__).resolve().parents[1] / ".hypothesis" / "examples"

settings.register_profile(
    "atspark", database=DirectoryBasedExampleDatabase(EXAMPLES), print_blob=True
)
settings.load_profile("atspark")


def choose_seed(given: str | None) -> int:
    """The run's seed: the one given, else the one the run's first process chose, else a new one.

    The choice goes into the environment, so the run's worker processes (pytest-xdist) share it.
    """
    seed = int(given or os.environ.get(SEED_VARIABLE) or random.randrange(2**32))
    os.environ[SEED_VARIABLE] = str(seed)
    core.global_force_seed = seed
    return seed
