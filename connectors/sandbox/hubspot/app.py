"""The HubSpot simulator's HTTP API: the CRM endpoints the connector reads, HubSpot's OAuth, its
limits and its error bodies.

- ``POST /crm/v3/objects/{objectType}/search`` (by name or type id: ``contacts`` or ``0-1``):
  filter groups (OR of ANDs; EQ, NEQ, LT, LTE, GT, GTE, BETWEEN, IN, NOT_IN, HAS_PROPERTY,
  NOT_HAS_PROPERTY, CONTAINS_TOKEN, NOT_CONTAINS_TOKEN), one sort, ``limit`` up to 200, ``after``
  an offset, and HubSpot's cap: ``after`` >= 10,000 is refused with a 400. Sorts are objects
  (``{"propertyName", "direction"}``) as HubSpot's search guide writes them; the description's
  ``array<string>`` form is accepted and, as HubSpot does, ignored.
- ``GET /crm/v3/objects/{objectType}`` (list, ``limit`` up to 100, ``after``, ``properties``),
  ``GET /crm/v3/owners`` (and ``/crm/v3/owners/``, the SDK's path), ``GET
  /crm/v3/pipelines/{objectType}`` (deals and tickets).
- Auth: ``Authorization: Bearer`` with the sandbox private-app token or an access token the
  OAuth server issued (``/oauth/authorize``, ``/oauth/v1/token``: 30-minute access tokens,
  refresh tokens that do not rotate, refusals in HubSpot's ``BAD_REFRESH_TOKEN`` shape);
  anything else gets HubSpot's 401 ``INVALID_AUTHENTICATION`` body.
- Limits and faults on schedule: every Nth API request a 429 (``SECONDLY`` and
  ``TEN_SECONDLY_ROLLING`` in turn, HubSpot's body, no ``Retry-After`` unless asked for), a
  503, or a connection reset in the middle of a body; the ``DAILY`` 429 once a number of
  requests is spent; the search limit (requests a second) when asked for.
- Control: ``POST /_sandbox/advance`` (``?changed=&created=&bulk=true``), ``GET
  /_sandbox/records/{stream}`` (what a full load must hold), ``GET /_sandbox/requests``.
"""

import bisect
import collections
import contextvars
import hashlib
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.sandbox.faults import reset_mid_body
from connectors.sandbox.hubspot.dataset import (
    BY_TYPE_ID,
    DEFAULT_COUNTS,
    MOMENT_PROPERTIES,
    OBJECT_TYPES,
    Account,
    CrmRecord,
    ObjectType,
)
from connectors.sandbox.oauth import AuthorizationServer, OAuthPaths

SANDBOX_TOKEN = "pat-na1-11111111-2222-4333-8444-555555555555"
"""The private-app access token the simulator accepts (shaped like HubSpot's)."""
SEARCH_CAP = 10_000
SEARCH_LIMIT = 200
LIST_LIMIT = 100
OWNERS_LIMIT = 500
MAX_FILTER_GROUPS, MAX_FILTERS = 5, 6
OPERATORS = frozenset(
    {
        "BETWEEN", "CONTAINS_TOKEN", "EQ", "GT", "GTE", "HAS_PROPERTY", "IN", "LT", "LTE", "NEQ",
        "NOT_CONTAINS_TOKEN", "NOT_HAS_PROPERTY", "NOT_IN",
    }
)  # fmt: skip
SCOPES = frozenset(
    {
        "oauth", "crm.objects.contacts.read", "crm.objects.contacts.write",
        "crm.objects.companies.read", "crm.objects.companies.write", "crm.objects.deals.read",
        "crm.objects.deals.write", "crm.objects.line_items.read", "crm.objects.owners.read",
        "crm.schemas.contacts.read", "tickets", "e-commerce", "automation",
    }
)  # fmt: skip
"""Scopes the simulated HubSpot knows: an authorize request may ask only for these."""
TOKEN_LIFETIME_S = 1800
RANGES = {
    "EQ": lambda keys, v: (bisect.bisect_left(keys, v), bisect.bisect_right(keys, v)),
    "GT": lambda keys, v: (bisect.bisect_right(keys, v), len(keys)),
    "GTE": lambda keys, v: (bisect.bisect_left(keys, v), len(keys)),
    "LT": lambda keys, v: (0, bisect.bisect_left(keys, v)),
    "LTE": lambda keys, v: (0, bisect.bisect_right(keys, v)),
}
"""Where in sorted keys the values a filter on them selects lie (start, end)."""
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NOT_AUTHENTICATED = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you "
    "can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)
RATE_LIMITS = {
    "SECONDLY": "You have reached your secondly limit.",
    "TEN_SECONDLY_ROLLING": "You have reached your ten_secondly_rolling limit.",
    "DAILY": "You have reached your daily limit.",
}
TOKEN_REFUSALS = {
    ("refresh_token", "invalid_grant"): ("BAD_REFRESH_TOKEN", "missing or invalid refresh token"),
    ("authorization_code", "invalid_grant"): ("BAD_AUTH_CODE", "missing or invalid auth code"),
    ("", "invalid_client"): ("BAD_CLIENT_ID", "missing or invalid client id or secret"),
    ("", "unsupported_grant_type"): ("BAD_GRANT_TYPE", "unsupported grant type"),
}
"""HubSpot's ``status`` and message for each refusal of the token endpoint, by grant."""
_grant = contextvars.ContextVar("grant", default="")


@dataclass
class Faults:
    """What goes wrong, and when (0 or None: never)."""

    rate_limit_every: int = 0
    error_every: int = 0
    reset_every: int = 0
    daily_limit: int | None = None
    """API requests answered before the account's daily limit is reached."""
    search_per_second: int | None = None
    """HubSpot's search limit (5 a second), enforced when given."""
    retry_after: int | None = None
    """Seconds sent as ``Retry-After`` with a 429 (HubSpot sends none)."""


class _Refused(Exception):
    """An answer other than the one asked for: HubSpot's status, body and headers."""

    def __init__(
        self, status: int, body: dict[str, Any], headers: Mapping[str, str] | None = None
    ) -> None:
        self.status, self.body, self.headers = status, body, dict(headers or {})


def _error(status: int, message: str, category: str, **more: Any) -> _Refused:
    body = {"status": "error", "message": message, "correlationId": str(uuid.uuid4())}
    return _Refused(status, {**body, "category": category, **more})


def _invalid(message: str) -> _Refused:
    return _error(400, message, "VALIDATION_ERROR")


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json;charset=utf-8")


ROUTES = (
    ("POST", re.compile(r"/crm/v3/objects/(?P<type>[^/]+)/search"), "search"),
    ("GET", re.compile(r"/crm/v3/objects/(?P<type>[^/]+)"), "list_objects"),
    ("GET", re.compile(r"/crm/v3/owners/?"), "owners"),
    ("GET", re.compile(r"/crm/v3/pipelines/(?P<type>[^/]+)"), "pipelines"),
)


class Simulator:
    """One simulated HubSpot account: its data, faults, OAuth server and request log."""

    def __init__(
        self,
        seed: int = 42,
        records: int | Mapping[str, int] | None = None,
        faults: Faults | None = None,
        token_lifetime: int = TOKEN_LIFETIME_S,
    ) -> None:
        counts = (
            DEFAULT_COUNTS
            if records is None
            else dict.fromkeys(OBJECT_TYPES, records)
            if isinstance(records, int)
            else records
        )
        self.account = Account(seed, counts)
        self.faults = faults or Faults()
        self.oauth = AuthorizationServer(
            OAuthPaths("/oauth/authorize", "/oauth/v1/token", "/oauth/v1/refresh-tokens/{token}"),
            SCOPES,
            access_token_lifetime=token_lifetime,
            refusal=_token_refusal,
        )
        self.requests: list[dict[str, Any]] = []
        self.answered = 0
        """Authenticated API requests so far: what faults and the daily limit count."""
        self._searches: collections.deque[float] = collections.deque()
        self._matches: dict[tuple[Any, ...], list[CrmRecord]] = {}
        self._ordered: dict[str, tuple[int, list[CrmRecord], list[int]]] = {}

    # ---- the API ---------------------------------------------------------------------------------

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        body = await _body(request)
        entry = {
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query,
            "body": body,
            "at": time.monotonic(),
        }
        self.requests.append(entry)
        try:
            entry["token"], entry["token_digest"] = self._authenticate(request)
            self.answered += 1
            if self._due(self.faults.reset_every):
                entry["status"] = "reset"
                await reset_mid_body(send, b'{"total":')
                return
            self._limit(request)
            response = self._route(request, body)
        except _Refused as refused:
            response = Response(
                orjson.dumps(refused.body),
                refused.status,
                headers=refused.headers,
                media_type="application/json;charset=utf-8",
            )
        entry["status"] = response.status_code
        await response(scope, receive, send)

    def _authenticate(self, request: Request) -> tuple[str, str]:
        """Which kind of token a request carries, and its digest (for the log: never the
        token itself)."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        digest = hashlib.sha256(token.encode()).hexdigest()[:12]
        if scheme.lower() == "bearer" and token == SANDBOX_TOKEN:
            return "private_app", digest
        if scheme.lower() == "bearer" and self.oauth.access_token_valid(token):
            return "oauth", digest
        raise _error(401, NOT_AUTHENTICATED, "INVALID_AUTHENTICATION")

    def _due(self, every: int) -> bool:
        return bool(every) and self.answered % every == 0

    def _limit(self, request: Request) -> None:
        """HubSpot's rate limits (its 429 body) and the scheduled 503."""
        faults = self.faults
        if faults.daily_limit is not None and self.answered > faults.daily_limit:
            raise self._rate_limited("DAILY")
        if self._due(faults.rate_limit_every):
            turn = self.answered // faults.rate_limit_every
            raise self._rate_limited("SECONDLY" if turn % 2 else "TEN_SECONDLY_ROLLING")
        if faults.search_per_second and request.url.path.endswith("/search"):
            now = time.monotonic()
            while self._searches and self._searches[0] <= now - 1.0:
                self._searches.popleft()
            if len(self._searches) >= faults.search_per_second:
                raise self._rate_limited("SECONDLY")
            self._searches.append(now)
        if self._due(faults.error_every):
            raise _error(503, "Service Unavailable", "SERVICE_UNAVAILABLE")

    def _rate_limited(self, policy: str) -> _Refused:
        body = {
            "status": "error",
            "message": RATE_LIMITS[policy],
            "errorType": "RATE_LIMIT",
            "correlationId": str(uuid.uuid4()),
            "policyName": policy,
            "groupName": f"publicapi:sandbox-{policy.lower()}",
        }
        after = self.faults.retry_after
        return _Refused(429, body, {"Retry-After": str(after)} if after is not None else {})

    def _route(self, request: Request, body: Any) -> Response:
        path = request.url.path
        for method, pattern, handler in ROUTES:
            if match := pattern.fullmatch(path):
                if request.method != method:
                    raise _error(405, f"{request.method} is not supported here", "NOT_ALLOWED")
                return getattr(self, handler)(request, body, **match.groupdict())
        raise _error(404, f"No route for {request.method} {path}", "OBJECT_NOT_FOUND")

    # ---- CRM objects -------------------------------------------------------------------------

    def search(self, request: Request, body: Any, type: str) -> Response:
        kind = _object_type(type)
        query = _search_query(body)
        offset = _integer(query.get("after", "0"), "after")
        if offset >= SEARCH_CAP:
            raise _invalid(
                f"Paging past {SEARCH_CAP} results is not supported: narrow the search instead"
            )
        limit = _integer(query.get("limit", 10), "limit")
        if not 1 <= limit <= SEARCH_LIMIT:
            raise _invalid(f"limit must be between 1 and {SEARCH_LIMIT}")
        matches = self._search_matches(kind, query)
        names = _names(kind, query.get("properties") or ())
        answer: dict[str, Any] = {
            "total": len(matches),
            "results": [
                _public(kind, record, names) for record in matches[offset : offset + limit]
            ],
        }
        if offset + limit < len(matches):
            answer["paging"] = {"next": {"after": str(offset + limit)}}
        return _json(answer)

    def _search_matches(self, kind: ObjectType, query: dict[str, Any]) -> list[CrmRecord]:
        """The records a query selects, sorted (kept for its next pages)."""
        groups = query.get("filterGroups") or []
        sorts = [sort for sort in query.get("sorts") or [] if isinstance(sort, dict)]
        key = (kind.name, self.account.version, orjson.dumps([groups, sorts, query.get("query")]))
        if key not in self._matches:
            candidates = self._by_moment(kind, groups)
            found = [r for r in candidates if _selected(kind, r, groups, query.get("query"))]
            for sort in sorts or [{"propertyName": "hs_object_id"}]:
                name, descending = sort.get("propertyName"), sort.get("direction") == "DESCENDING"
                if name != kind.modified or descending:  # (candidates come in that order)
                    found.sort(key=lambda r: _sort_key(kind, r, name), reverse=descending)
            self._matches = {key: found}
        return self._matches[key]

    def _by_moment(self, kind: ObjectType, groups: list[dict[str, Any]]) -> list[CrmRecord]:
        """The records by modification moment (then id), narrowed to the range a lone filter
        group's filters on the moment allow: a search from a moment costs no full scan."""
        version, ordered, moments = self._ordered.get(kind.name, (None, [], []))
        if version != self.account.version:
            held = self.account.objects[kind.name].records.values()
            ordered = sorted(held, key=lambda record: (record.modified, record.id))
            moments = [record.modified for record in ordered]
            self._ordered[kind.name] = (self.account.version, ordered, moments)
        low, high = 0, len(ordered)
        for given in groups[0]["filters"] if len(groups) == 1 else []:
            if given["propertyName"] == kind.modified and given["operator"] in RANGES:
                value = _typed(kind, kind.modified, given.get("value"))
                if isinstance(value, int):
                    start, end = RANGES[given["operator"]](moments, value)
                    low, high = max(low, start), min(high, end)
        return ordered[low:high]

    def list_objects(self, request: Request, body: Any, type: str) -> Response:
        kind = _object_type(type)
        params = request.query_params
        limit = _integer(params.get("limit", "10"), "limit")
        if not 1 <= limit <= LIST_LIMIT:
            raise _invalid(f"limit must be between 1 and {LIST_LIMIT}")
        names = _names(kind, [n for v in params.getlist("properties") for n in v.split(",") if n])
        held = self.account.objects[kind.name].records.values()
        records = [] if params.get("archived") == "true" else list(held)
        start = _integer(params.get("after", "0"), "after")
        page = [record for record in records if record.id >= start][:limit]
        answer: dict[str, Any] = {"results": [_public(kind, record, names) for record in page]}
        following = [record for record in records if record.id > page[-1].id][:1] if page else []
        if following:
            after = str(following[0].id)
            link = f"{request.base_url}crm/v3/objects/{type}?after={after}"
            answer["paging"] = {"next": {"after": after, "link": link}}
        return _json(answer)

    # ---- owners and pipelines ----------------------------------------------------------------

    def owners(self, request: Request, body: Any) -> Response:
        params = request.query_params
        limit = _integer(params.get("limit", "100"), "limit")
        if not 1 <= limit <= OWNERS_LIMIT:
            raise _invalid(f"limit must be between 1 and {OWNERS_LIMIT}")
        owners = [] if params.get("archived") == "true" else self.account.owners
        if email := params.get("email"):
            owners = [owner for owner in owners if owner["email"] == email.lower()]
        start = _integer(params.get("after", "0"), "after")
        page = [owner for owner in owners if int(owner["id"]) >= start][: limit + 1]
        answer: dict[str, Any] = {"results": page[:limit]}
        if len(page) > limit:
            after = page[limit]["id"]
            link = f"{request.base_url}crm/v3/owners/?after={after}"
            answer["paging"] = {"next": {"after": after, "link": link}}
        return _json(answer)

    def pipelines(self, request: Request, body: Any, type: str) -> Response:
        kind = _object_type(type)
        if kind.name not in self.account.pipelines:
            raise _invalid(f"Object type {type} does not have pipelines")
        return _json({"results": self.account.pipelines[kind.name]})

    # ---- control -----------------------------------------------------------------------------

    async def advance(self, request: Request) -> Response:
        params = request.query_params
        changed, created = params.get("changed"), params.get("created")
        self.account.advance(
            int(changed) if changed else None,
            int(created) if created else None,
            params.get("bulk") == "true",
        )
        return JSONResponse({"advanced": True, "now": self.account.now})

    async def stream_records(self, request: Request) -> Response:
        """Every record of a stream as HubSpot holds it (objects with all their properties)."""
        stream = request.path_params["stream"]
        if stream in OBJECT_TYPES:
            kind = OBJECT_TYPES[stream]
            records = self.account.objects[stream].records.values()
            return _json([_public(kind, record, None) for record in records])
        if stream == "owners":
            return _json(self.account.owners)
        if stream == "pipelines":
            pipelines = self.account.pipelines.items()
            return _json([{**p, "object_type": kind} for kind, found in pipelines for p in found])
        return JSONResponse({"error": f"no stream {stream}"}, 404)

    async def request_log(self, request: Request) -> Response:
        return _json(self.requests)

    async def token(self, request: Request) -> Response:
        """The OAuth server's token endpoint, told which grant it answers (for its refusals)."""
        _grant.set(str((await request.form()).get("grant_type") or ""))
        return await self.oauth.token(request)


def _token_refusal(status: int, error: str) -> Response:
    code, message = TOKEN_REFUSALS.get((_grant.get(), error)) or TOKEN_REFUSALS[("", error)]
    body = {"status": code, "message": message, "correlationId": str(uuid.uuid4())}
    return _json({**body, "requestId": uuid.uuid4().hex}, 400)


# ---- reading requests ----------------------------------------------------------------------------


async def _body(request: Request) -> Any:
    if request.method != "POST":
        return None
    raw = await request.body()
    try:
        return orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        return dict(parse_qsl(raw.decode(errors="replace")))


def _object_type(given: str) -> ObjectType:
    kind = OBJECT_TYPES.get(given) or BY_TYPE_ID.get(given)
    if kind is None:
        raise _invalid(f"Unable to infer object type from: {given}")
    return kind


def _integer(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _invalid(f"{name} must be an integer, not {str(value)[:40]!r}") from None


def _search_query(body: Any) -> dict[str, Any]:
    """A search body, checked as HubSpot's description types it."""
    if not isinstance(body, dict):
        raise _invalid("The request body must be a JSON object")
    for name, kind in (("after", str), ("query", str), ("limit", int)):
        if name in body and not isinstance(body[name], kind):
            raise _invalid(f"{name} must be a {kind.__name__}")
    for name in ("filterGroups", "sorts", "properties"):
        if not isinstance(body.get(name, []), list):
            raise _invalid(f"{name} must be an array")
    if not all(isinstance(name, str) for name in body.get("properties") or []):
        raise _invalid("properties must be property names")
    groups = body.get("filterGroups") or []
    if len(groups) > MAX_FILTER_GROUPS:
        raise _invalid(f"At most {MAX_FILTER_GROUPS} filterGroups are allowed")
    for group in groups:
        filters = group.get("filters") if isinstance(group, dict) else None
        if not isinstance(filters, list) or len(filters) > MAX_FILTERS:
            raise _invalid(f"Each filterGroup needs filters, at most {MAX_FILTERS}")
        for given in filters:
            if not isinstance(given, dict) or not isinstance(given.get("propertyName"), str):
                raise _invalid("Each filter needs a propertyName")
            if given.get("operator") not in OPERATORS:
                raise _invalid(f"Unknown operator {str(given.get('operator'))[:20]!r}")
    if len([sort for sort in body.get("sorts") or [] if isinstance(sort, dict)]) > 1:
        raise _invalid("Only one sort is allowed")
    return body


def _names(kind: ObjectType, asked: Any) -> tuple[str, ...]:
    return (*(asked or kind.defaults), *kind.always)


def _public(kind: ObjectType, record: CrmRecord, names: tuple[str, ...] | None) -> dict[str, Any]:
    """A record as HubSpot sends it: the properties named (all when None; one the object does
    not have is left out), the others of its own fields."""
    held = record.properties
    properties = dict(held) if names is None else {n: held[n] for n in names if n in held}
    return {
        "id": str(record.id),
        "properties": properties,
        "createdAt": held["createdate"],
        "updatedAt": held[kind.modified],
        "archived": False,
    }


# ---- evaluating searches -------------------------------------------------------------------------


def _typed(kind: ObjectType, name: str, value: Any) -> Any:
    """A property's value as HubSpot compares it: moments in milliseconds (given as such or
    as ISO 8601), numbers as numbers, text without case."""
    if value is None:
        return None
    text = str(value)
    try:
        if name in MOMENT_PROPERTIES:
            if text.lstrip("-").isdigit():
                return int(text)
            moment = datetime.fromisoformat(text)
            moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
            return (moment - EPOCH) // timedelta(milliseconds=1)
        if name in kind.numbers:
            return float(text) if text else None
    except ValueError:
        raise _invalid(f"{text[:40]!r} is not a valid value of {name}") from None
    return text.lower()


def _value(kind: ObjectType, record: CrmRecord, name: str) -> Any:
    """A record's property as HubSpot compares it (its modification moment without parsing)."""
    if name == kind.modified:
        return record.modified
    return _typed(kind, name, record.properties.get(name))


def _selected(kind: ObjectType, record: CrmRecord, groups: list[dict], text: Any) -> bool:
    if text and not any(
        str(text).lower() in str(record.properties.get(name) or "").lower()
        for name in kind.defaults
    ):
        return False
    return not groups or any(
        all(_holds(kind, record, given) for given in group["filters"]) for group in groups
    )


def _holds(kind: ObjectType, record: CrmRecord, given: dict[str, Any]) -> bool:
    name, operator = given["propertyName"], given["operator"]
    have = _value(kind, record, name)
    if operator in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
        return (have is not None) == (operator == "HAS_PROPERTY")
    if operator in ("IN", "NOT_IN"):
        values = {_typed(kind, name, value) for value in given.get("values") or []}
        return (have in values) == (operator == "IN")
    value = _typed(kind, name, given.get("value"))
    if operator == "NEQ":
        return have != value
    if have is None or value is None:
        return False
    if operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        contained = str(value).strip("*") in str(have)
        return contained == (operator == "CONTAINS_TOKEN")
    if operator == "BETWEEN":
        high = _typed(kind, name, given.get("highValue"))
        return high is not None and value <= have <= high
    return {
        "EQ": have == value,
        "LT": have < value,
        "LTE": have <= value,
        "GT": have > value,
        "GTE": have >= value,
    }[operator]


def _sort_key(kind: ObjectType, record: CrmRecord, name: Any) -> tuple[Any, ...]:
    value = _value(kind, record, str(name))
    return (value is None, value if value is not None else 0, record.id)


def create_app(
    seed: int = 42,
    records: int | Mapping[str, int] | None = None,
    faults: Faults | None = None,
    token_lifetime: int = TOKEN_LIFETIME_S,
) -> Starlette:
    """The simulator as an ASGI app (``app.state.simulator``; ``app.state.banner`` says how to
    connect to it)."""
    simulator = Simulator(seed, records, faults, token_lifetime)
    oauth_routes = [
        route
        for route in simulator.oauth.routes()
        if getattr(route, "path", None) != simulator.oauth.paths.token
    ]
    app = Starlette(
        routes=[
            Route("/crm/{rest:path}", simulator),
            Route("/oauth/v1/token", simulator.token, methods=["POST"]),
            *oauth_routes,
            Route("/_sandbox/advance", simulator.advance, methods=["POST"]),
            Route("/_sandbox/records/{stream}", simulator.stream_records),
            Route("/_sandbox/requests", simulator.request_log),
        ]
    )
    app.state.simulator = simulator
    counts = {name: len(o.records) for name, o in simulator.account.objects.items()}
    app.state.banner = _banner(counts, simulator.oauth)
    return app


def _banner(counts: Mapping[str, int], oauth: AuthorizationServer) -> str:
    held = ", ".join(f"{count} {name}" for name, count in counts.items())
    return (
        f"HubSpot sandbox: {held}, owners and pipelines.\n"
        f"Private app: its access token is {SANDBOX_TOKEN}\n"
        "  atspark connection add TENANT hubspot --config base_url={base_url} "
        f"--secret access_token={SANDBOX_TOKEN}\n"
        f"OAuth app: client id {oauth.client_id}, client secret {oauth.client_secret} "
        "(authorize at {base_url}/oauth/authorize, tokens at {base_url}/oauth/v1/token; access "
        "tokens last 30 minutes, refresh tokens do not rotate)"
    )
