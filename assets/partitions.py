"""Tenant connections as Dagster dynamic partitions.

Each connector has one ``DynamicPartitionsDefinition`` (``<connector>_connections``) whose keys are
the connections using it, spelled ``<tenant>.<connection>``. Tenant slugs and connection names are
identifiers without dots (``governance.names``), so a key splits back unambiguously. The sensor in
``assets.sensors`` keeps the keys equal to the control plane's connections.
"""

import re

from dagster import DynamicPartitionsDefinition

from governance.errors import AtsparkError

KEY_SEPARATOR = "."
_NOT_IN_DAGSTER_NAMES = re.compile(r"[^A-Za-z0-9_]")


def dagster_name(name: str) -> str:
    """``name`` spelled as Dagster accepts in op, group and asset-key names (``a-b`` -> ``a_b``)."""
    return _NOT_IN_DAGSTER_NAMES.sub("_", name)


def partitions_name(connector: str) -> str:
    """The name of the connector's dynamic partitions: ``<connector>_connections``."""
    return f"{dagster_name(connector)}_connections"


def connection_partitions(connector: str) -> DynamicPartitionsDefinition:
    """The dynamic partitions holding one key per connection of ``connector``."""
    return DynamicPartitionsDefinition(name=partitions_name(connector))


def partition_key(tenant: str, connection: str) -> str:
    """The partition key of a tenant's connection: ``<tenant>.<connection>``."""
    return f"{tenant}{KEY_SEPARATOR}{connection}"


def parse_partition_key(key: str) -> tuple[str, str]:
    """``(tenant, connection)`` from a key made by :func:`partition_key`."""
    tenant, separator, connection = key.partition(KEY_SEPARATOR)
    if not separator or not tenant or not connection or KEY_SEPARATOR in connection:
        raise AtsparkError(f"partition key {key!r} is not of the form <tenant>.<connection>")
    return tenant, connection
