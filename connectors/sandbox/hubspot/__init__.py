"""HubSpot API simulator: a deterministic HubSpot account served over real HTTP.

    from connectors.sandbox.hubspot import SANDBOX_TOKEN, create_app
    from connectors.sandbox.server import running

    with running(create_app(seed=7)) as base_url:
        HubSpot(access_token=SANDBOX_TOKEN, host=base_url).crm.contacts.get_all()

:mod:`.dataset` builds the account, :mod:`.app` serves HubSpot's endpoints over it.
"""

from connectors.sandbox.hubspot.app import SANDBOX_TOKEN, Faults, Simulator, create_app

__all__ = ["SANDBOX_TOKEN", "Faults", "Simulator", "create_app"]
