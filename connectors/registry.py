"""Connector registry: built-in and third-party connectors alike come from one entry-point group."""

from functools import lru_cache
from importlib.metadata import entry_points

from connectors.base import Connector
from governance.errors import AtsparkError, NotFoundError

ENTRY_POINT_GROUP = "atspark.connectors"


@lru_cache(maxsize=1)
def load_connectors() -> dict[str, Connector]:
    """Instantiate every connector registered under ``atspark.connectors``, by name."""
    connectors: dict[str, Connector] = {}
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        loaded = entry_point.load()
        connector = loaded() if isinstance(loaded, type) else loaded
        if not isinstance(connector, Connector):
            raise AtsparkError(f"entry point {entry_point.name!r} is not an atspark Connector")
        if connector.name != entry_point.name:
            raise AtsparkError(
                f"entry point {entry_point.name!r} registers connector {connector.name!r}"
            )
        connectors[connector.name] = connector
    return dict(sorted(connectors.items()))


def get_connector(name: str) -> Connector:
    """The connector called ``name``, or a clear error listing the known ones."""
    connectors = load_connectors()
    try:
        return connectors[name]
    except KeyError:
        known = ", ".join(connectors) or "none"
        raise NotFoundError(f"unknown connector {name!r} (known: {known})") from None
