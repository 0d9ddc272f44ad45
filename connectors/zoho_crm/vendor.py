"""What the connector knows of Zoho CRM itself: its data centres, its modules, their scopes.

Each data centre has its own API domain (``https://www.zohoapis.<dc>``) and accounts server
(OAuth: ``https://accounts.zoho.<dc>``, Canada's is ``accounts.zohocloud.ca``); an account lives
in one of them, and its tokens work only there. Sources: Zoho CRM API v8 "Multi DC Support" and
Zoho Accounts' "Multi DC support" pages. Scopes are Zoho's narrowest read scopes: one per module
(``ZohoCRM.modules.<module>.READ``) and the fields metadata (``ZohoCRM.settings.fields.READ``).
"""

from collections.abc import Iterable
from dataclasses import dataclass

API_PATH = "/crm/v8"
OAUTH_PATHS = {
    "authorize": "/oauth/v2/auth",
    "token": "/oauth/v2/token",
    "revoke": "/oauth/v2/token/revoke",
}
"""The accounts server's OAuth endpoints (the same paths in every data centre)."""


@dataclass(frozen=True)
class DataCentre:
    api_host: str
    accounts_host: str

    @property
    def api_url(self) -> str:
        return f"https://{self.api_host}"

    @property
    def accounts_url(self) -> str:
        return f"https://{self.accounts_host}"


DATA_CENTRES = {
    "com": DataCentre("www.zohoapis.com", "accounts.zoho.com"),
    "eu": DataCentre("www.zohoapis.eu", "accounts.zoho.eu"),
    "in": DataCentre("www.zohoapis.in", "accounts.zoho.in"),
    "com.au": DataCentre("www.zohoapis.com.au", "accounts.zoho.com.au"),
    "jp": DataCentre("www.zohoapis.jp", "accounts.zoho.jp"),
    "ca": DataCentre("www.zohoapis.ca", "accounts.zohocloud.ca"),
    "com.cn": DataCentre("www.zohoapis.com.cn", "accounts.zoho.com.cn"),
    "sa": DataCentre("www.zohoapis.sa", "accounts.zoho.sa"),
}
DEFAULT_DATA_CENTRE = "com"
API_HOSTS = frozenset(centre.api_host for centre in DATA_CENTRES.values())

MODULES = {
    "Leads": "leads",
    "Contacts": "contacts",
    "Accounts": "accounts",
    "Deals": "deals",
    "Tasks": "tasks",
    "Events": "events",
    "Calls": "calls",
    "Products": "products",
    "Vendors": "vendors",
    "Quotes": "quotes",
    "Sales_Orders": "salesorders",
    "Invoices": "invoices",
    "Campaigns": "campaigns",
    "Cases": "cases",
    "Solutions": "solutions",
    "Price_Books": "pricebooks",
    "Purchase_Orders": "purchaseorders",
}
"""Each module's API name, and its name in Zoho's per-module scopes."""
DEFAULT_MODULES = ("Leads", "Contacts", "Accounts", "Deals")
FIELDS_SCOPE = "ZohoCRM.settings.fields.READ"
CURSOR = "Modified_Time"
"""Every module's last-modified field: the incremental cursor, and what If-Modified-Since asks."""


def stream_name(module: str) -> str:
    """The stream (and table suffix) of a module: ``Sales_Orders`` -> ``sales_orders``."""
    return module.lower()


def module_scope(module: str) -> str:
    return f"ZohoCRM.modules.{MODULES[module]}.READ"


def scopes(modules: Iterable[str]) -> tuple[str, ...]:
    """The least a connection reading ``modules`` needs: each module's read scope, and the
    fields metadata (a v8 records request must name the fields it wants)."""
    return (*(module_scope(module) for module in modules), FIELDS_SCOPE)
