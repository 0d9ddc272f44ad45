"""A Zoho CRM connection's fields (its JSON Schema) and what they mean: which data centre, which
modules, where requests go, from when."""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from connectors.config_schema import BASE_URL, START_DATE, object_schema
from connectors.oauth import token_secret_fields
from connectors.zoho_crm.vendor import (
    API_HOSTS,
    DATA_CENTRES,
    DEFAULT_DATA_CENTRE,
    DEFAULT_MODULES,
    MODULES,
    DataCentre,
)

SCHEMA = object_schema(
    {
        "base_url": {
            **BASE_URL,
            "description": "API base URL (default: the data centre's, https://www.zohoapis.<dc>, "
            "or the API domain Zoho named when the connection was authorized); for sandboxes "
            "and proxies",
        },
        "data_centre": {
            "enum": list(DATA_CENTRES),
            "default": DEFAULT_DATA_CENTRE,
            "description": "The Zoho data centre of the CRM account: the domain of its sign-in "
            "page (accounts.zoho.<dc>); ca is accounts.zohocloud.ca",
        },
        "api_domain": {
            **BASE_URL,
            "description": "The API domain Zoho's token response named for the account (set "
            "when the connection is authorized)",
        },
        "modules": {
            "type": "array",
            "items": {"enum": list(MODULES)},
            "uniqueItems": True,
            "minItems": 1,
            "default": list(DEFAULT_MODULES),
            "description": "Zoho CRM modules to load, by API name (default: "
            f"{', '.join(DEFAULT_MODULES)}); each lands as a table of its lowercase name",
            "errorMessage": f"modules takes Zoho CRM module API names ({', '.join(MODULES)})",
        },
        "start_date": START_DATE,
        **token_secret_fields("Zoho CRM"),
    }
)


def data_centre(config: Mapping[str, Any]) -> DataCentre:
    return DATA_CENTRES[config.get("data_centre", DEFAULT_DATA_CENTRE)]


def modules(config: Mapping[str, Any]) -> tuple[str, ...]:
    """The selected modules, in the order Zoho's menu lists them."""
    chosen = set(config.get("modules") or DEFAULT_MODULES)
    return tuple(module for module in MODULES if module in chosen)


def given_urls(config: Mapping[str, Any]) -> dict[str, str]:
    """The URLs the config names (``base_url``, ``api_domain``), to check before any request."""
    return {field: str(config[field]) for field in ("base_url", "api_domain") if config.get(field)}


def api_url(config: Mapping[str, Any]) -> str:
    """Where API requests go: ``base_url`` when given, else the API domain Zoho named, else the
    data centre's."""
    given = given_urls(config)
    url = given.get("base_url") or given.get("api_domain") or data_centre(config).api_url
    return url.rstrip("/")


def is_vendors(url: str) -> bool:
    """Whether ``url`` is one of Zoho's own API domains (not a sandbox or a proxy)."""
    return (urlsplit(url).hostname or "") in API_HOSTS


def start_date(config: Mapping[str, Any]) -> datetime | None:
    """The first run's lower bound on ``Modified_Time`` (UTC unless the text names a zone)."""
    text = config.get("start_date")
    if not text:
        return None
    moment = datetime.fromisoformat(str(text).strip().replace(" ", "T"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
