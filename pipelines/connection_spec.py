"""A connection as its connector sees it: config, secrets and what the settings allow it."""

from typing import Any

from connectors.base import ConnectionSpec, LocalFiles, Runtime, SecretsSaver
from governance.settings import Settings


def connection_spec(
    settings: Settings,
    tenant: str,
    name: str,
    config: dict[str, Any],
    secrets: dict[str, str],
    save_secrets: SecretsSaver | None = None,
) -> ConnectionSpec:
    """The spec the connector validates and runs. Local files: the tenant's upload area and the
    folders ``ATSPARK_FILES_ROOTS`` allows, but never the platform's own state under its home.
    HTTP: the hosts ``ATSPARK_EGRESS_ALLOWED_HOSTS`` adds to every connector's own."""
    local_files = LocalFiles(
        home=settings.upload_dir(tenant),
        roots=settings.files_roots_of(tenant),
        off_limits=(settings.home,),
    )
    runtime = Runtime(
        local_files, settings.aws_endpoint_url, settings.egress_allowed_hosts, save_secrets
    )
    return ConnectionSpec(tenant, name, config, secrets, runtime)
