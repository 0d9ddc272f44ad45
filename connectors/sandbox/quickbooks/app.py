"""The QuickBooks sandbox's HTTP API: Intuit's Accounting API over a generated company.

Intuit's paths, at one origin:

- ``/v3/company/{realmId}/query``: a statement (``query.py``) POSTed as ``application/text``, or
  GET with ``?query=``; answers ``{"QueryResponse": {"<Entity>": [...], "startPosition": n,
  "maxResults": m}, "time": ...}`` (``{"QueryResponse": {}}`` when nothing matches).
- ``/v3/company/{realmId}/cdc?entities=A,B&changedSince=...``: what changed within the last 30
  days, deleted entities as ``{"Id", "status": "Deleted", "MetaData"}``, at most 1,000 objects:
  ``{"CDCResponse": [{"QueryResponse": [{"<Entity>": [...], ...}, {}]}], "time": ...}``.
- Intuit's OAuth 2.0 (``connectors/sandbox/oauth.py``): authorize ``/connect/oauth2``, token
  ``/oauth2/v1/tokens/bearer`` (HTTP Basic client credentials; refresh tokens rotate), revoke
  ``/v2/oauth2/tokens/revoke``; the callback carries ``realmId``.

Errors are Intuit's ``Fault`` bodies: 401 ``AUTHENTICATION`` (3200) for a missing, unknown or
expired access token, 403 (3100) for another company, 400 ``ValidationFault`` for a statement
outside the grammar (4000, 4001) or a bad change-data-capture request (2010), 429
``ThrottleExceeded`` (3001, no ``Retry-After``) past 500 requests a minute or 10 at once, and on
schedule (``Faults``): 429s, 503 ``SystemFault``s and connections reset in the middle of a body.
Control routes under ``/_sandbox/``: ``advance`` (the company moves as between two loads),
``records/{stream}`` (what a full load must hold), ``requests`` (the API requests received) and
the authorization server's ``oauth/revoke`` and ``oauth/expire``.
"""

import asyncio
import collections
import hashlib
import itertools
import re
import time
from datetime import datetime, timedelta
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.sandbox.faults import FaultKind, Faults, FaultSchedule, reset_mid_body
from connectors.sandbox.oauth import AuthorizationServer, OAuthPaths
from connectors.sandbox.quickbooks.dataset import (
    ENTITIES,
    HISTORY_DAYS,
    TAX_LISTS,
    ZONE,
    Company,
)
from connectors.sandbox.quickbooks.query import QueryError, parse

REALM_ID = "9341453199561236"
INTUIT_SCOPES = frozenset(
    {
        "com.intuit.quickbooks.accounting",
        "com.intuit.quickbooks.payment",
        "com.intuit.quickbooks.payroll",
        "openid",
        "profile",
        "email",
        "phone",
        "address",
    }
)
THROTTLE_PER_MINUTE = 500
MAX_CONCURRENT = 10
CDC_LIMIT = 1000
CDC_WINDOW = timedelta(days=30)
_API_PATH = re.compile(r"^/v3/company/(?P<realm>[^/]+)/(?P<operation>[^/]+)$")
_JSON = "application/json;charset=UTF-8"


class _Fault(Exception):
    """An answer of Intuit's ``Fault`` shape."""

    def __init__(
        self, status: int, kind: str, code: str, message: str, detail: str | None = None
    ) -> None:
        super().__init__(message)
        error = {"Message": message, "code": code}
        if detail:
            error["Detail"] = detail
        self.status = status
        self.body = {"Fault": {"Error": [error], "type": kind}, "time": _now()}

    def response(self) -> Response:
        return Response(orjson.dumps(self.body), self.status, media_type=_JSON)


def _now() -> str:
    return datetime.now(ZONE).isoformat(timespec="milliseconds")


def _throttled() -> _Fault:
    return _Fault(
        429,
        "SERVICE",
        "3001",
        "message=ThrottleExceeded; errorCode=003001; statusCode=429",
        "The request limit was reached.",
    )


def _invalid(detail: str) -> _Fault:
    return _Fault(
        400, "ValidationFault", "2010", "Request has invalid or unsupported property", detail
    )


def _unauthenticated(detail: str) -> Response:
    """Intuit's 401, in the lower-case envelope its gateway answers with."""
    body = {
        "warnings": None,
        "intuitObject": None,
        "fault": {
            "error": [
                {
                    "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                    "detail": detail,
                    "code": "3200",
                    "element": None,
                }
            ],
            "type": "AUTHENTICATION",
        },
        "report": None,
        "queryResponse": None,
        "batchItemResponse": [],
        "attachableResponse": [],
        "syncErrorResponse": None,
        "requestId": None,
        "time": int(time.time() * 1000),
        "status": None,
        "cdcresponse": [],
    }
    headers = {"WWW-Authenticate": 'Bearer realm="Intuit", error="invalid_token"'}
    return Response(orjson.dumps(body), 401, headers=headers, media_type=_JSON)


class Sandbox:
    """One simulated company behind Intuit's API, with its request log and fault schedule."""

    def __init__(
        self, company: Company, realm_id: str, faults: Faults, oauth: AuthorizationServer
    ) -> None:
        self.company = company
        self.realm_id = realm_id
        self.oauth = oauth
        self.requests: list[dict[str, Any]] = []
        self._numbers = itertools.count(1)
        self.schedule = FaultSchedule(faults)
        self.per_minute = THROTTLE_PER_MINUTE
        """Requests a minute Intuit answers before it throttles."""
        self._minute: collections.deque[float] = collections.deque()
        self._in_flight = 0

    # ---- the API ----------------------------------------------------------------------------

    async def api(self, scope: Any, receive: Any, send: Any) -> None:
        self._in_flight += 1
        try:
            request = Request(scope, receive)
            body = (await request.body()).decode("utf-8", "replace")
            self._log(request, body)
            fault = self._scheduled_fault(self.schedule.due(next(self._numbers)))
            if fault == "reset":
                await reset_mid_body(send, b'{"QueryResponse":{', _JSON.encode())
                return
            if fault == "slow":
                await asyncio.sleep(self.schedule.faults.slow_seconds)
            if isinstance(fault, _Fault):
                response = fault.response()
            else:
                try:
                    response = self._answer(request, body)
                except _Fault as refusal:
                    response = refusal.response()
            await response(scope, receive, send)
        finally:
            self._in_flight -= 1

    def _log(self, request: Request, body: str) -> None:
        params = dict(request.query_params)
        self.requests.append(
            {
                "method": request.method,
                "path": request.url.path,
                "params": params,
                "statement": body if request.method == "POST" else params.get("query"),
                "content_type": request.headers.get("content-type"),
                "token_digest": _digest(request.headers.get("authorization", "")),
                "at": time.monotonic(),
            }
        )

    def _scheduled_fault(self, kind: FaultKind | None) -> _Fault | str | None:
        """A due fault in Intuit's shape, or the kind the transport plays (reset, slow)."""
        if kind == "rate_limit":
            return _throttled()
        if kind == "error":
            return _Fault(
                503,
                "SystemFault",
                "10000",
                "An application error has occurred while processing your request",
                "System Failure Error: Service Unavailable",
            )
        return kind

    def _answer(self, request: Request, body: str) -> Response:
        header = request.headers.get("authorization", "")
        token = header[len("Bearer ") :] if header.startswith("Bearer ") else ""
        if not token:
            return _unauthenticated("Authorization header missing or malformed")
        if not self.oauth.access_token_valid(token):
            return _unauthenticated("Token expired or invalid")
        found = _API_PATH.match(request.url.path)
        if found is None:
            raise _Fault(404, "ValidationFault", "610", "Object Not Found", request.url.path)
        if found["realm"] != self.realm_id:
            raise _Fault(
                403,
                "AuthorizationFault",
                "3100",
                "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
            )
        self._throttle()
        operation = found["operation"]
        if operation == "query" and request.method in ("GET", "POST"):
            statement = body if request.method == "POST" else request.query_params.get("query")
            return self._query(request, statement or "")
        if operation == "cdc" and request.method == "GET":
            return self._cdc(request)
        raise _Fault(
            400,
            "ValidationFault",
            "500",
            "Unsupported Operation",
            f"Operation {request.method} {operation} is not supported.",
        )

    def _throttle(self) -> None:
        """Intuit's limits per company: 500 requests a minute and 10 at once."""
        now = time.monotonic()
        while self._minute and self._minute[0] <= now - 60:
            self._minute.popleft()
        if len(self._minute) >= self.per_minute or self._in_flight > MAX_CONCURRENT:
            raise _throttled()
        self._minute.append(now)

    def _query(self, request: Request, statement: str) -> Response:
        content_type = request.headers.get("content-type", "").split(";")[0].strip()
        if request.method == "POST" and content_type not in ("application/text", "text/plain"):
            raise _invalid(f"Property Name:Content-Type {content_type!r} is unsupported")
        try:
            query = parse(statement)
        except QueryError as error:
            raise _Fault(400, "ValidationFault", error.code, error.message, error.detail) from None
        found = query.answer(self.company.entities[query.entity])
        envelope: dict[str, Any] = {}
        if found:
            envelope = {query.entity: found, "startPosition": query.start, "maxResults": len(found)}
        return _json({"QueryResponse": envelope, "time": _now()})

    def _cdc(self, request: Request) -> Response:
        entities = [e for e in request.query_params.get("entities", "").split(",") if e]
        if not entities:
            raise _invalid("Property Name:entities specified is unsupported or invalid")
        for entity in entities:
            if entity not in ENTITIES or entity in TAX_LISTS:
                raise _invalid(f"Property Name:entities: CDC is not supported for {entity}")
        given = request.query_params.get("changedSince", "")
        try:
            since = datetime.fromisoformat(given)
        except ValueError:
            raise _invalid(
                "Property Name:changedSince specified is unsupported or invalid"
            ) from None
        since = since if since.tzinfo else since.replace(tzinfo=ZONE)
        if since < datetime.now(ZONE) - CDC_WINDOW:
            raise _invalid("Property Name:changedSince cannot be more than 30 days in the past")
        room, responses = CDC_LIMIT, []
        for entity in entities:
            changed = self.company.changes(entity, since)[:room]
            room -= len(changed)
            responses.append(
                {
                    entity: changed,
                    "startPosition": 1,
                    "maxResults": len(changed),
                    "totalCount": len(changed),
                }
                if changed
                else {}
            )
        return _json({"CDCResponse": [{"QueryResponse": responses}], "time": _now()})

    # ---- control ----------------------------------------------------------------------------

    async def advance(self, request: Request) -> Response:
        counts = {
            name: int(request.query_params.get(name, default))
            for name, default in (("new", 3), ("updated", 2), ("deleted", 1))
        }
        return JSONResponse(self.company.advance(**counts))

    async def records(self, request: Request) -> Response:
        stream = request.path_params["stream"]
        entity = next((e for e in ENTITIES if _snake(e) == stream), None)
        if entity is None:
            return JSONResponse({"error": f"no stream {stream!r}"}, 404)
        return _json(self.company.entities[entity])

    async def request_log(self, request: Request) -> Response:
        return _json(self.requests)


def _digest(header: str) -> str | None:
    """Which credentials a request bore, for tests to compare, without them."""
    return hashlib.sha256(header.encode()).hexdigest()[:12] if header else None


def _snake(entity: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", entity).lower()


def _json(body: Any) -> Response:
    return Response(orjson.dumps(body), media_type=_JSON)


def create_app(
    seed: int = 42,
    records: int | None = None,
    faults: Faults = Faults(),
    *,
    realm_id: str = REALM_ID,
    age_days: float = 0,
    history_days: float = HISTORY_DAYS,
) -> Starlette:
    """The sandbox of a company made from ``seed`` (``records`` customers, the rest in
    proportion) over ``history_days`` up to ``age_days`` ago."""
    oauth = AuthorizationServer(
        OAuthPaths("/connect/oauth2", "/oauth2/v1/tokens/bearer", "/v2/oauth2/tokens/revoke"),
        INTUIT_SCOPES,
        client_auth="client_secret_basic",
        rotate_refresh_tokens=True,
        callback_params={"realmId": realm_id},
        accept_unknown_refresh_tokens=True,
    )
    company = Company(seed, records, age_days, history_days)
    sandbox = Sandbox(company, realm_id, faults, oauth)
    app = Starlette(
        routes=[
            Route("/_sandbox/advance", sandbox.advance, methods=["POST"]),
            Route("/_sandbox/records/{stream}", sandbox.records),
            Route("/_sandbox/requests", sandbox.request_log),
            *oauth.routes(),
        ]
    )
    control = app.router

    async def route(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/v3/"):
            await sandbox.api(scope, receive, send)
        else:
            await control(scope, receive, send)

    app.router = route  # type: ignore[assignment]
    app.state.sandbox = sandbox
    app.state.banner = _banner(sandbox, oauth)
    return app


def _banner(sandbox: Sandbox, oauth: AuthorizationServer) -> str:
    """How a person connects: the OAuth app, an `atspark connection add` line, a curl token."""
    counts = sandbox.company.counts()
    token = oauth.issue_access_token(lifetime=86_400)
    return (
        f"QuickBooks Online company {sandbox.realm_id}: {counts['Customer']} customers, "
        f"{counts['Invoice']} invoices, {counts['Bill']} bills.\n"
        f"OAuth app: client_id {oauth.client_id}, client_secret {oauth.client_secret} "
        "(authorize at {base_url}/connect/oauth2). Refresh tokens rotate; one never issued here "
        "is taken once, until POST {base_url}/_sandbox/oauth/revoke.\n"
        "  atspark connection add TENANT quickbooks --config base_url={base_url} "
        f"--config realm_id={sandbox.realm_id} --secret client_id={oauth.client_id} "
        f"--secret client_secret={oauth.client_secret} --secret refresh_token=any\n"
        f"curl: Authorization: Bearer {token} (valid for a day), e.g. "
        "{base_url}" + f"/v3/company/{sandbox.realm_id}/query?query=select%20*%20from%20Invoice"
    )
