"""A connection as its connector sees it: config, secrets and what the settings allow it."""

from connectors.base import ConnectionSpec, Runtime
from governance.settings import Settings


def connection_spec(
    settings: Settings,
    tenant: str,
    name: str,
    config: dict[str, str],
    secrets: dict[str, str],
) -> ConnectionSpec:
    """The spec the connector validates and runs: local files only in the tenant's roots."""
    runtime = Runtime(settings.file_roots(tenant), settings.aws_endpoint_url)
    return ConnectionSpec(tenant, name, config, secrets, runtime)
