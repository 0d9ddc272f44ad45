"""A connection as its connector sees it: config, secrets and what the settings allow it."""

from connectors.base import ConnectionSpec, LocalFiles, Runtime
from governance.settings import Settings


def connection_spec(
    settings: Settings,
    tenant: str,
    name: str,
    config: dict[str, str],
    secrets: dict[str, str],
) -> ConnectionSpec:
    """The spec the connector validates and runs. Local files: the tenant's upload area and the
    folders ``ATSPARK_FILES_ROOTS`` allows, but never the platform's own state under its home."""
    local_files = LocalFiles(
        home=settings.upload_dir(tenant),
        roots=settings.files_roots_of(tenant),
        off_limits=(settings.home,),
    )
    runtime = Runtime(local_files, settings.aws_endpoint_url)
    return ConnectionSpec(tenant, name, config, secrets, runtime)
