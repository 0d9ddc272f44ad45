"""HubSpot's API through its official SDK (``hubspot-api-client``), for one connection's run.

The SDK builds each request (path, query, JSON body, ``Authorization: Bearer``) and sends it
through urllib3 with the retries set on its ``Configuration``: connection errors and 5xx,
backed off, redirects never followed (a redirect could lead the token to another host). What
the SDK leaves to its caller is done here: the access token is set on each API's
``Configuration`` before every request (an OAuth connection's is renewed before it expires, so
a long run outlives HubSpot's 30-minute tokens); requests go one at a time, each with a
timeout; HubSpot's rate-limit answers (429) are waited out per their policy (``Retry-After``
when given, else a short backoff) except the daily one, which no wait within a run can
outlast; a connection reset while a body is read is retried; bodies are parsed with orjson
instead of the SDK's model classes, which take several times longer; what still fails becomes
one line of ours naming the status and path, never the SDK's text (it may quote the request)
or a token.
"""

import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import orjson
from urllib3 import Retry
from urllib3.exceptions import HTTPError, ProtocolError, ReadTimeoutError

from governance.errors import AtsparkError

TIMEOUT = (10.0, 60.0)
"""Seconds to connect and to wait for each read; the SDK sets none of its own."""
TRANSPORT_RETRIES = Retry(
    total=5,
    backoff_factor=0.5,
    backoff_max=10.0,
    status_forcelist=(500, 502, 503, 504),
    allowed_methods=frozenset({"GET", "POST"}),  # a search is a POST that only reads
    respect_retry_after_header=False,  # a 429's Retry-After is ours to weigh (a daily limit)
    raise_on_status=False,
    redirect=False,
)
"""urllib3's retries, set as the SDK's ``Configuration.retries``."""
ATTEMPTS = 8
"""Attempts of one request through rate limits and resets mid-body."""
BACKOFF_S = 0.5
MAX_WAIT_S = 10.0
READ_ERRORS = (ProtocolError, ReadTimeoutError)
"""Failures while a body is read, after urllib3 has handed it over: retried here."""
_CATEGORY = re.compile(r"[A-Z][A-Z_]{1,40}")

logger = logging.getLogger(__name__)


class HubSpotApi:
    """The endpoints the connector reads, on one SDK client shared by its streams."""

    def __init__(self, base_url: str, access_token: Callable[[], str]) -> None:
        from hubspot import HubSpot

        crm = HubSpot(host=base_url, retry=TRANSPORT_RETRIES).crm
        # Each ``crm.<api>`` access builds a new API client and connection pool: keep them.
        self._search = crm.objects.search_api
        self._owners = crm.owners.owners_api
        self._pipelines = crm.pipelines.pipelines_api
        self._access_token = access_token
        self._errors = _api_errors()
        self._one_at_a_time = threading.Lock()

    def search(self, object_type: str, body: dict[str, Any]) -> dict[str, Any]:
        """One page of ``POST /crm/v3/objects/{object_type}/search``."""
        return self._call(
            self._search,
            f"/crm/v3/objects/{object_type}/search",
            lambda **options: self._search.do_search(object_type, body, **options),
        )

    def owners(self, after: str | None, limit: int) -> dict[str, Any]:
        """One page of ``GET /crm/v3/owners``."""
        page = {"limit": limit, **({"after": after} if after else {})}
        return self._call(
            self._owners,
            "/crm/v3/owners",
            lambda **options: self._owners.get_page(**page, **options),
        )

    def pipelines(self, object_type: str) -> dict[str, Any]:
        """``GET /crm/v3/pipelines/{object_type}``: every pipeline of the object, with stages."""
        return self._call(
            self._pipelines,
            f"/crm/v3/pipelines/{object_type}",
            lambda **options: self._pipelines.get_all(object_type, **options),
        )

    def _call(self, api: Any, path: str, send: Callable[..., Any]) -> dict[str, Any]:
        """One request, through rate limits and broken answers. Requests go one at a time,
        whichever stream's thread sends them: HubSpot's limits are the account's."""
        attempt = 0
        while True:  # until an answer, or an error: the last attempt raises one
            attempt += 1
            try:
                with self._one_at_a_time:
                    api.api_client.configuration.access_token = self._access_token()
                    response = send(_preload_content=False, _request_timeout=TIMEOUT)
                    data = response.data
                return _parsed(data, response.status, path)
            except self._errors as error:
                if error.status != 429:
                    raise _refusal(error.status, _body(error), path) from None
                wait = _rate_limit_wait(error, path, attempt)
            except READ_ERRORS as error:
                if attempt == ATTEMPTS:
                    raise AtsparkError(
                        f"HubSpot's answers on {path} kept breaking off ({type(error).__name__}) "
                        f"after {ATTEMPTS} attempts"
                    ) from None
                wait = _backoff(attempt)
            except HTTPError as error:  # urllib3 gave up: connection errors outlasted its retries
                raise AtsparkError(
                    f"could not reach HubSpot for {path} ({type(error).__name__}): check the "
                    "connection's base_url"
                ) from None
            time.sleep(wait)


def _api_errors() -> tuple[type[Exception], ...]:
    """The SDK's HTTP error of each API package the connector calls (each has its own)."""
    from hubspot.crm.objects import ApiException as ObjectsError
    from hubspot.crm.owners import ApiException as OwnersError
    from hubspot.crm.pipelines import ApiException as PipelinesError

    return (ObjectsError, OwnersError, PipelinesError)


def _parsed(data: bytes, status: int, path: str) -> dict[str, Any]:
    try:
        body = orjson.loads(data)
    except orjson.JSONDecodeError:
        body = None
    if not isinstance(body, dict):
        raise AtsparkError(
            f"HubSpot answered {path} with a body that is not a JSON object (HTTP {status}): "
            "check the connection's base_url"
        )
    return body


def _body(error: Any) -> dict[str, Any]:
    try:
        body = orjson.loads(error.body or b"")
    except (orjson.JSONDecodeError, TypeError):
        return {}
    return body if isinstance(body, dict) else {}


def _backoff(attempt: int) -> float:
    return min(BACKOFF_S * 2 ** (attempt - 1), MAX_WAIT_S)


def _rate_limit_wait(error: Any, path: str, attempt: int) -> float:
    """How long to wait before asking again after a 429, or an error when waiting is futile."""
    policy = _body(error).get("policyName")
    if policy == "DAILY":
        raise AtsparkError(
            f"HubSpot's daily API limit for this account is reached (HTTP 429 on {path}): it "
            "resets at midnight in the account's time zone; the next run after that loads on"
        )
    if attempt == ATTEMPTS:
        raise AtsparkError(f"HubSpot still rate-limited {path} after {ATTEMPTS} attempts")
    given = (error.headers or {}).get("Retry-After")
    try:
        wait = min(max(float(given), 0.0), MAX_WAIT_S)
    except (TypeError, ValueError):
        wait = _backoff(attempt)
    logger.info("HubSpot rate limit (%s) on %s: asking again in %.1f s", policy, path, wait)
    return wait


def _refusal(status: int, body: dict[str, Any], path: str) -> AtsparkError:
    """One line for an answer asking again will not change: status, HubSpot's category (a
    fixed word such as ``MISSING_SCOPES``, never its message) and path."""
    category = body.get("category")
    named = f" {category}" if isinstance(category, str) and _CATEGORY.fullmatch(category) else ""
    if status in (401, 403):
        return AtsparkError(
            f"HubSpot refused the connection's credentials (HTTP {status}{named} on {path}): "
            "check its access token, or authorize the connection again"
        )
    if status >= 500:
        return AtsparkError(f"HubSpot answered HTTP {status}{named} on {path} after retries")
    return AtsparkError(f"HubSpot answered HTTP {status}{named} on {path}")
