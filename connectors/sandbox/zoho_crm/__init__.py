"""The Zoho CRM simulator (``atspark sandbox serve zoho_crm``): one CRM organization over Zoho
CRM v8's read API and Zoho's accounts server, on 127.0.0.1.

    with running_zoho_crm(seed=7) as (url, simulator):
        ...  # base_url=url; secrets: the accounts server's client and SANDBOX_REFRESH_TOKEN
"""

from collections.abc import Iterator
from contextlib import contextmanager

from connectors.sandbox.generic import Faults
from connectors.sandbox.server import running
from connectors.sandbox.zoho_crm.accounts import SANDBOX_REFRESH_TOKEN
from connectors.sandbox.zoho_crm.app import SANDBOX_ACCESS_TOKEN, Simulator, create_app

__all__ = [
    "SANDBOX_ACCESS_TOKEN",
    "SANDBOX_REFRESH_TOKEN",
    "Faults",
    "Simulator",
    "create_app",
    "running_zoho_crm",
]


@contextmanager
def running_zoho_crm(
    seed: int = 42, records: int | None = None, faults: Faults = Faults(), port: int = 0
) -> Iterator[tuple[str, Simulator]]:
    """Serve an organization's simulator for the block: its base URL and the simulator."""
    app = create_app(seed, records, faults)
    with running(app, port) as url:
        yield url, app.state.simulator
