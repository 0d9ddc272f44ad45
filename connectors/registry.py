"""Connector registry: built-in and third-party connectors alike come from one entry-point group.

An entry point in ``atspark.connectors`` names a :class:`Connector` instance, a ``Connector``
subclass (instantiated with no arguments), or a provider: a callable returning connectors, or an
iterable of them, for a package of many (the built-in catalog of declarative specs is one).
"""

from collections.abc import Iterable
from functools import lru_cache
from importlib.metadata import entry_points
from typing import Any

from connectors.base import Connector
from governance.errors import AtsparkError, NotFoundError

ENTRY_POINT_GROUP = "atspark.connectors"


@lru_cache(maxsize=1)
def load_connectors() -> dict[str, Connector]:
    """Every registered connector, by name; two connectors of one name are refused."""
    connectors: dict[str, Connector] = {}
    origin: dict[str, str] = {}
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        for connector in _connectors_of(entry_point.name, entry_point.load()):
            if connector.name in connectors:
                raise AtsparkError(
                    f"connector {connector.name!r} is registered twice: by entry points "
                    f"{origin[connector.name]!r} and {entry_point.name!r}"
                )
            connectors[connector.name] = connector
            origin[connector.name] = entry_point.name
    return dict(sorted(connectors.items()))


def _connectors_of(entry_point: str, loaded: Any) -> Iterable[Connector]:
    if isinstance(loaded, Connector):
        return [loaded]
    if isinstance(loaded, type) and issubclass(loaded, Connector):
        return [loaded()]
    provided = loaded() if callable(loaded) else loaded
    if isinstance(provided, Connector):
        return [provided]
    if isinstance(provided, Iterable) and not isinstance(provided, (str, bytes)):
        provided = list(provided)
        if all(isinstance(item, Connector) for item in provided):
            return provided
    raise AtsparkError(f"entry point {entry_point!r} provides no atspark Connector")


def get_connector(name: str) -> Connector:
    """The connector called ``name``, or a clear error."""
    connectors = load_connectors()
    try:
        return connectors[name]
    except KeyError:
        close = [known for known in connectors if known.startswith(name[:3])][:10]
        hint = f" (did you mean: {', '.join(close)}?)" if close else ""
        raise NotFoundError(
            f"unknown connector {name!r}{hint}; `atspark connector list` shows them all"
        ) from None
