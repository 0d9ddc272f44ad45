"""The QuickBooks Online sandbox: Intuit's Accounting API and OAuth 2.0 over a generated company.

    from connectors.sandbox.quickbooks import create_app
    from connectors.sandbox.server import running

    app = create_app(seed=7, records=40)
    with running(app) as base_url:
        ...  # base_url + "/v3/company/" + REALM_ID + "/query"; app.state.sandbox.company

``dataset.Company`` makes the company, ``query`` parses Intuit's query language and ``app`` serves
both with Intuit's paths, errors and limits.
"""

from connectors.sandbox.quickbooks.app import REALM_ID, Sandbox, create_app
from connectors.sandbox.quickbooks.dataset import Company

__all__ = ["REALM_ID", "Company", "Sandbox", "create_app"]
