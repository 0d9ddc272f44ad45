"""Pages into Arrow tables: the last step of a declarative stream, after dlt's incremental
filter, so each page reaches dlt as one typed table of the stream's declared columns."""

import logging
from typing import Any, ClassVar

from dlt.extract.items_transform import ItemTransform

from connectors.arrow import arrow_schema, to_arrow
from connectors.declarative import spec as s
from governance.errors import AtsparkError

logger = logging.getLogger(__name__)


class PageToArrow(ItemTransform[Any]):
    """A page (a list of records) as an Arrow table of the declared columns. Fields the spec
    does not declare are left out, a warning naming each once: every tenant's table has the
    same columns whatever its data."""

    placement_affinity: ClassVar[float] = 1.5  # after the incremental filter (1)

    def __init__(self, title: str, stream: s.Stream) -> None:
        super().__init__(lambda item: item)
        self._where = f"{title} {stream.name}"
        self._schema = arrow_schema(stream.columns)
        self._declared = set(stream.columns)
        self._undeclared: set[str] = set()

    def __call__(self, item: Any, meta: Any = None) -> Any:
        records = item if isinstance(item, list) else [item]
        if not records or not isinstance(records[0], dict):
            return item
        if new := set().union(*records) - self._declared - self._undeclared:
            self._undeclared.update(new)
            logger.warning(
                "%s: undeclared fields left out: %s", self._where, ", ".join(sorted(new))
            )
        try:
            return to_arrow(records, self._schema)
        except AtsparkError as error:
            raise AtsparkError(f"{self._where}: {error}") from None
