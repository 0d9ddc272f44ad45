"""The generic simulator: any declarative spec's API served over HTTP from its own description.

It answers each stream's path with the spec's record envelope, paginator, auth and incremental
parameter, the way the vendor does: records at the record selector, the next cursor, URL or
``Link`` header where the paginator reads it, offsets and page numbers honoured, a start
parameter filtering on the cursor. OAuth2 specs get a token endpoint (client credentials), or
for refresh-token specs the vendor's authorization server (``connectors/sandbox/oauth.py``:
consent with PKCE, refresh tokens that rotate: each works once). Faults come on schedule: every Nth
request a 429 with ``Retry-After``, a 503, a connection reset in the middle of the body, or a
response slower than the client waits. Control routes under ``/_sandbox/``: ``advance`` (data
moves as between two loads), ``records/{stream}`` (what a full load must hold) and ``requests``.
"""

import asyncio
import base64
import itertools
import json
import math
import re
import secrets
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.declarative import spec as s
from connectors.declarative.engine import convert
from connectors.sandbox.faults import Faults, FaultSchedule, reset_mid_body
from connectors.sandbox.generic.dataset import Dataset
from connectors.sandbox.generic.envelope import place, wrap
from connectors.sandbox.oauth import AuthorizationServer, OAuthPaths

PAGE_TOKEN = "page_token"


class _Unauthorized(Exception):
    pass


class Simulator:
    def __init__(
        self,
        spec: s.ConnectorSpec,
        seed: int = 42,
        faults: Faults = Faults(),
        records: int | None = None,
    ) -> None:
        self.spec = spec
        self.dataset = Dataset(spec, seed, records_per_stream=records)
        self.requests: list[dict[str, Any]] = []
        self._count = itertools.count(1)
        self.schedule = FaultSchedule(faults)
        self._access_tokens: set[str] = set()
        self.oauth = _authorization_server(spec.auth)
        """The vendor's authorization server, for specs whose connections hold refresh tokens."""
        self._routes = [(self._pattern(stream.path), stream) for stream in spec.streams]

    @staticmethod
    def _pattern(path: str) -> re.Pattern[str]:
        escaped = re.escape("/" + path.lstrip("/"))
        return re.compile(
            "^" + re.sub(r"\\\{([a-z_][a-z0-9_]*)\\\}", r"(?P<\1>[^/]+)", escaped) + "$"
        )

    # ---- the API -------------------------------------------------------------------------------

    async def api(self, scope: Any, receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        path = request.url.path
        handler = self._oauth_handler(path, request.method)
        if handler is not None:
            response = await handler(request)
            await response(scope, receive, send)
            return
        number = next(self._count)
        self.requests.append(
            {
                "method": request.method,
                "path": path,
                "query": dict(request.query_params),
                "at": time.monotonic(),
            }
        )
        fault = self.schedule.due(number)
        if fault == "reset":
            await reset_mid_body(send, b'{"data": [')
            return
        if fault == "slow":
            await asyncio.sleep(self.schedule.faults.slow_seconds)
        if fault == "rate_limit":
            response: Response = JSONResponse(
                {"error": "rate_limited", "message": "Too many requests"},
                429,
                headers={"Retry-After": str(self.schedule.faults.retry_after_seconds)},
            )
        elif fault == "error":
            response = JSONResponse({"error": "unavailable", "message": "Try again"}, 503)
        else:
            response = await self._answer(request)
        await response(scope, receive, send)

    async def _answer(self, request: Request) -> Response:
        try:
            self._authenticate(request)
        except _Unauthorized as refusal:
            return JSONResponse({"error": "unauthorized", "message": str(refusal)}, 401)
        if request.method not in ("GET", "POST"):
            return JSONResponse({"error": "method_not_allowed"}, 405)
        body = await _json_body(request)
        found = self._route(request, body)
        if found is None:
            return JSONResponse({"error": "not_found", "message": "No such endpoint"}, 404)
        stream, path_values = found
        if request.method != stream.method:
            return JSONResponse({"error": "method_not_allowed"}, 405)
        rows = self._rows(stream, path_values, request)
        return self._page(request, stream, rows, body)

    def _route(self, request: Request, body: Any) -> tuple[s.Stream, dict[str, str]] | None:
        """The stream a request asks for: by path, then (several streams on one path) by the
        fixed parameters and JSON body it agrees with."""
        query = request.query_params
        candidates = []
        for pattern, stream in self._routes:
            match = pattern.match(request.url.path)
            if match:
                fixed = {**self.spec.defaults.params, **stream.params}
                agreeing = sum(
                    str(query.get(k)) in (str(v), str(v).lower()) for k, v in fixed.items()
                )
                agreeing += 10 * (stream.json_body is not None and _agrees(stream.json_body, body))
                candidates.append((agreeing, stream, match.groupdict()))
        if not candidates:
            return None
        _, stream, values = max(candidates, key=lambda c: c[0])
        return stream, values

    def _rows(self, stream: s.Stream, path_values: dict[str, str], request: Request) -> list[dict]:
        if stream.parent:
            rows = self.dataset.children(stream, path_values[stream.parent.param])
        else:
            rows = self.dataset.records[stream.name]
        incremental = stream.incremental
        since = (
            request.query_params.get(incremental.start_param)
            if incremental and incremental.start_param
            else None
        )
        if incremental and since is not None:
            given = incremental.param_format or incremental.format
            bound = convert(given, incremental.format, since)
            if incremental.format in ("unix", "unix_ms"):
                bound = int(bound)
            rows = [row for row in rows if row[incremental.cursor_path] >= bound]
        return rows

    def _page(self, request: Request, stream: s.Stream, rows: list[dict], sent: Any) -> Response:
        paginator = stream.paginator or self.spec.defaults.paginator
        records_at = stream.records or self.spec.defaults.records or "$"
        query = request.query_params
        headers: dict[str, str] = {}
        fields: dict[str, Any] = {}
        size = self.dataset.server_page_size
        match paginator:
            case s.OffsetPaginator():
                offset = int(query.get(paginator.offset_param, 0))
                limit = int(query.get(paginator.limit_param, paginator.limit))
                page = rows[offset : offset + limit]
                if paginator.total_path:
                    fields[paginator.total_path] = len(rows)
                if paginator.has_more_path:
                    fields[paginator.has_more_path] = offset + limit < len(rows)
            case s.PageNumberPaginator():
                if paginator.page_size_param and paginator.page_size_param in query:
                    size = int(query[paginator.page_size_param])
                number = int(query.get(paginator.page_param, paginator.base_page))
                start = (number - paginator.base_page) * size
                page = rows[start : start + size]
                if paginator.total_path:
                    fields[paginator.total_path] = math.ceil(len(rows) / size)
                if paginator.has_more_path:
                    fields[paginator.has_more_path] = start + size < len(rows)
            case s.CursorPaginator() | s.JsonLinkPaginator() | s.HeaderLinkPaginator():
                token = _cursor_of(paginator, query, sent)
                start = _decode(token) if token else 0
                page = rows[start : start + size]
                more = start + size < len(rows)
                following = _encode(start + size) if more else None
                if isinstance(paginator, s.CursorPaginator):
                    fields[paginator.cursor_path] = following
                    if paginator.has_more_path:
                        fields[paginator.has_more_path] = more
                elif following:
                    link = _with_query(str(request.url), {PAGE_TOKEN: following})
                    if isinstance(paginator, s.JsonLinkPaginator):
                        fields[paginator.next_url_path] = link
                    else:
                        headers["Link"] = f'<{link}>; rel="next"'
                elif isinstance(paginator, s.JsonLinkPaginator):
                    fields[paginator.next_url_path] = None
            case _:
                page = rows
        body = wrap(records_at, [_public(row) for row in page])
        for path, value in fields.items():
            place(body, path, value)
        return JSONResponse(body, headers=headers)

    # ---- auth ----------------------------------------------------------------------------------

    def _authenticate(self, request: Request) -> None:
        auth = self.spec.auth
        header = request.headers.get("authorization", "")
        match auth:
            case s.ApiKeyAuth(location="query"):
                if not request.query_params.get(auth.name):
                    raise _Unauthorized(f"missing {auth.name} parameter")
            case s.ApiKeyAuth():
                given = request.headers.get(auth.name, "")
                if not given.startswith(auth.prefix) or not given[len(auth.prefix) :].strip():
                    raise _Unauthorized(f"missing or malformed {auth.name} header")
            case s.BearerAuth():
                if not header.startswith(auth.prefix) or not header[len(auth.prefix) :].strip():
                    raise _Unauthorized("missing or malformed Authorization header")
            case s.BasicAuth():
                self._check_basic(auth, header)
            case s.OAuth2ClientCredentials() | s.OAuth2RefreshToken():
                token = header[len(auth.prefix) :] if header.startswith(auth.prefix) else ""
                known = self.oauth.access_token_valid(token) if self.oauth else False
                if not known and token not in self._access_tokens:
                    raise _Unauthorized("invalid or expired access token")

    @staticmethod
    def _check_basic(auth: s.BasicAuth, header: str) -> None:
        if not header.startswith("Basic "):
            raise _Unauthorized("missing Basic credentials")
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            raise _Unauthorized("malformed Basic credentials") from None
        for template, given in ((auth.username, user), (auth.password, password)):
            if s.PLACEHOLDER.search(template) and not given:
                raise _Unauthorized("empty Basic credentials")

    def _oauth_handler(self, path: str, method: str) -> Any:
        """The token endpoint's (or the authorization server's) handler of ``path``, if any."""
        if self.oauth is not None:
            routes = {(route.path, m) for route in self.oauth.routes() for m in route.methods or ()}
            if (path, method) in routes:
                return next(r.endpoint for r in self.oauth.routes() if r.path == path)
            return None
        token_url = getattr(self.spec.auth, "token_url", None)
        if token_url and path == urlsplit(token_url).path and method == "POST":
            return self._client_credentials
        return None

    async def _client_credentials(self, request: Request) -> Response:
        form = await request.form()
        if not form.get("client_id") and not request.headers.get("authorization"):
            return JSONResponse({"error": "invalid_client"}, 401)
        if form.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, 400)
        access = secrets.token_urlsafe(24)
        self._access_tokens.add(access)
        return JSONResponse({"access_token": access, "token_type": "Bearer", "expires_in": 3600})

    # ---- control -------------------------------------------------------------------------------

    async def advance(self, request: Request) -> Response:
        self.dataset.advance()
        return JSONResponse({"advanced": True})

    async def stream_records(self, request: Request) -> Response:
        name = request.path_params["stream"]
        rows = self.dataset.records.get(name)
        if rows is None:
            return JSONResponse({"error": "not_found"}, 404)
        return JSONResponse([_public(row) for row in rows])

    async def request_log(self, request: Request) -> Response:
        return JSONResponse(self.requests)


def create_app(
    spec: s.ConnectorSpec, seed: int = 42, faults: Faults = Faults(), records: int | None = None
) -> Starlette:
    simulator = Simulator(spec, seed, faults, records)
    app = Starlette(
        routes=[
            Route("/_sandbox/advance", simulator.advance, methods=["POST"]),
            Route("/_sandbox/records/{stream}", simulator.stream_records),
            Route("/_sandbox/requests", simulator.request_log),
            *(simulator.oauth.routes() if simulator.oauth else ()),
        ]
    )
    app.state.simulator = simulator
    control = app.router

    async def route(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/_sandbox/"):
            await simulator.api(scope, receive, send)
        else:
            await control(scope, receive, send)

    app.router = route  # type: ignore[assignment]
    return app


def _authorization_server(auth: s.Auth) -> AuthorizationServer | None:
    """An authorization server at the spec's OAuth paths: codes with PKCE, refresh tokens that
    rotate (each works once); any client, and refresh tokens made up by a test kit, admitted."""
    if not isinstance(auth, s.OAuth2RefreshToken):
        return None
    paths = OAuthPaths(
        authorize=urlsplit(auth.authorize_url or "/oauth/authorize").path,
        token=urlsplit(auth.token_url).path,
    )
    return AuthorizationServer(
        paths,
        frozenset(auth.scopes),
        client_id=None,
        rotate_refresh_tokens=True,
        accept_unknown_refresh_tokens=True,
    )


def _public(row: dict[str, Any]) -> dict[str, Any]:
    """A record as the API sends it (without the simulator's link to its parent)."""
    return {key: value for key, value in row.items() if key != "_parent"}


def _agrees(fixed: dict[str, Any], sent: Any) -> bool:
    """Whether a request's JSON body holds the stream's fixed body (a cursor may be added)."""
    return isinstance(sent, dict) and all(sent.get(k) == v for k, v in fixed.items())


def _cursor_of(paginator: Any, query: Any, sent: Any) -> str | None:
    """The page token a request carries: in its JSON body, or in the query."""
    body_path = getattr(paginator, "cursor_body_path", None)
    if body_path:
        for step in body_path.split("."):
            sent = sent.get(step) if isinstance(sent, dict) else None
        return sent
    return query.get(getattr(paginator, "cursor_param", None) or PAGE_TOKEN)


async def _json_body(request: Request) -> Any:
    if request.method != "POST":
        return None
    try:
        return json.loads(await request.body() or b"null")
    except ValueError:
        return None


def _encode(index: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"i": index}).encode()).decode()


def _decode(token: str) -> int:
    try:
        return int(json.loads(base64.urlsafe_b64decode(token.encode()))["i"])
    except (ValueError, KeyError, TypeError):
        return 0


def _with_query(url: str, extra: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in _pairs(parts.query) if k not in extra]
    return parts._replace(query=urlencode([*query, *extra.items()])).geturl()


def _pairs(query: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(query, keep_blank_values=True)
