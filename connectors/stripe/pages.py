"""Paging through a Stripe list endpoint with the official SDK, as Arrow tables."""

import logging
from collections.abc import Iterator
from typing import Any

import orjson
import pyarrow as pa
import stripe
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from connectors.arrow import to_arrow
from governance.errors import AtsparkError

PAGE_SIZE = 100
BATCH_ROWS = 2_000
"""Pages are handed to dlt in batches of this many rows: dlt's cost is per item, not per row."""
MAX_RATE_LIMIT_WAIT = 60.0

logger = logging.getLogger(__name__)


def _retry_after(state: Any) -> float:
    """Honour a 429's ``Retry-After`` header, falling back to exponential backoff."""
    error = state.outcome.exception()
    header = (getattr(error, "headers", None) or {}).get("retry-after")
    try:
        return min(float(header), MAX_RATE_LIMIT_WAIT)
    except (TypeError, ValueError):
        return wait_exponential(multiplier=0.5, max=MAX_RATE_LIMIT_WAIT)(state)


RATE_LIMIT_ATTEMPTS = 8


def _fetch(client: stripe.StripeClient, path: str, params: dict[str, Any]) -> dict[str, Any]:
    """One page. 429s are retried here, 5xx and connection errors by the SDK
    (``max_network_retries``); what still fails becomes one line of our own, never the SDK's
    text, which may quote the request."""
    try:
        return _fetch_retrying_rate_limits(client, path, params)
    except (stripe.AuthenticationError, stripe.PermissionError) as error:
        raise AtsparkError(
            f"Stripe refused the API key for {path} (HTTP {error.http_status}): check the "
            "connection's api_key secret"
        ) from None
    except stripe.RateLimitError:
        raise AtsparkError(
            f"Stripe still rate-limited {path} after {RATE_LIMIT_ATTEMPTS} attempts"
        ) from None
    except stripe.APIConnectionError:
        raise AtsparkError(
            f"cannot reach Stripe for {path}: check the connection's base_url"
        ) from None
    except stripe.StripeError as error:
        raise AtsparkError(
            f"Stripe answered {path} with HTTP {error.http_status or 'error'} "
            f"({type(error).__name__}): check the connection's base_url"
        ) from None


@retry(
    retry=retry_if_exception_type(stripe.RateLimitError),
    wait=_retry_after,
    stop=stop_after_attempt(RATE_LIMIT_ATTEMPTS),
    reraise=True,
)
def _fetch_retrying_rate_limits(
    client: stripe.StripeClient, path: str, params: dict[str, Any]
) -> dict[str, Any]:
    return _get_page(client, path, params)


def _get_page(client: stripe.StripeClient, path: str, params: dict[str, Any]) -> dict[str, Any]:
    """``StripeClient.raw_request`` without its success-path parse.

    The SDK parses every body with ``json.loads(object_pairs_hook=OrderedDict)``: 2.3 s per
    78,000 charges and customers here, twice what turning them into Arrow costs. Going one level
    down keeps what the SDK is for (auth headers, API version, retries of 5xx/409/connection
    errors, telemetry, and its typed errors for any non-2xx reply) and parses pages with orjson.
    Both calls are private to the SDK, whose version ``uv.lock`` pins; the connector's tests
    exercise both paths (pages, auth errors, 429s, 5xx retries, a non-JSON body).
    """
    requestor = client._requestor
    body, status, headers = requestor.request_raw(
        "get", path, params, base_address="api", api_mode="V1", usage=["raw_request"]
    )
    if not 200 <= status < 300:
        requestor._interpret_response(body, status, headers, "V1")  # raises the SDK's error
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise AtsparkError(
            f"Stripe answered {path} with a body that is not JSON (HTTP {status}): check the "
            "connection's base_url"
        ) from None


def list_pages(
    client: stripe.StripeClient,
    path: str,
    params: dict[str, Any],
    created_gte: int | None,
    schema: pa.Schema,
) -> Iterator[pa.Table]:
    """Every object of a list endpoint, newest first, as Arrow tables of ``schema``, a batch each.

    Fields ``schema`` does not declare are left out (a warning names each once), so no tenant's
    table grows a column the others lack.
    """
    query: dict[str, Any] = {"limit": PAGE_SIZE, **params}
    if created_gte:
        query["created[gte]"] = created_gte
    declared, undeclared = set(schema.names), set[str]()

    def table(batch: list[dict[str, Any]]) -> pa.Table:
        if new := set().union(*batch) - declared - undeclared:
            undeclared.update(new)
            logger.warning(
                "%s returned undeclared fields, left out: %s", path, ", ".join(sorted(new))
            )
        try:
            return to_arrow(batch, schema)
        except AtsparkError as error:
            raise AtsparkError(
                f"{path}: Stripe {error}: its declaration in connectors/stripe/columns.py no "
                "longer matches the API"
            ) from None

    batch: list[dict[str, Any]] = []
    while True:
        page = _fetch(client, path, query)
        data = page["data"]
        batch.extend(data)
        if len(batch) >= BATCH_ROWS:
            yield table(batch)
            batch = []
        if not page.get("has_more") or not data:
            break
        query["starting_after"] = data[-1]["id"]
    if batch:
        yield table(batch)
