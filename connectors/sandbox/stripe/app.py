"""The Stripe sandbox's HTTP API: Stripe's read endpoints over a generated dataset.

List endpoints return Stripe's list envelope, newest first, with ``limit`` (1..100, default 10),
``starting_after`` / ``ending_before`` cursors, ``created`` / ``created[gte|gt|lte|lt]`` and each
resource's equality filters. Errors use Stripe's envelope ``{"error": {...}}``: 401 for a missing
or wrong key, 400 for bad parameters, 404 for unknown ids and URLs, 405 for writes (the sandbox is
read-only), and, deterministically, 429 with ``Retry-After`` every ``rate_limit_every``-th request
and 500 every ``error_every``-th, so clients' retry logic gets exercised.
"""

import base64
import binascii
import collections
import heapq
import hmac
import itertools
import json
from collections.abc import Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.sandbox.stripe.dataset import (
    API_VERSION,
    INVOICE_STATUSES,
    SUBSCRIPTION_STATUSES,
    StripeDataset,
    Table,
)

DEFAULT_API_KEY = "sk_test_sandbox"
DEFAULT_RATE_LIMIT_EVERY = 50
MAX_LIMIT = 100
DEFAULT_LIMIT = 10
REQUEST_LOG_SIZE = 10_000

_JSON = "application/json"
_COMMON_PARAMS = frozenset({"limit", "starting_after", "ending_before", "created"})
_CREATED_OPERATORS = ("gte", "gt", "lte", "lt")
_BOOLEAN_FILTERS = {"active", "pending"}
_NOT_CANCELED = tuple(status for status in SUBSCRIPTION_STATUSES if status != "canceled")
_ENUM_FILTERS: dict[tuple[str, str], tuple[str, ...]] = {
    ("subscriptions", "status"): (*SUBSCRIPTION_STATUSES, "all", "ended"),
    ("invoices", "status"): INVOICE_STATUSES,
    ("prices", "type"): ("one_time", "recurring"),
}


class _ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        kind: str = "invalid_request_error",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"message": message, "type": kind}
        if code:
            self.body["code"] = code
            self.body["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
        if param:
            self.body["param"] = param
        self.headers = headers or {}


def _bad_param(param: str, message: str, code: str = "parameter_invalid") -> _ApiError:
    return _ApiError(400, message, code=code, param=param)


def _redact(key: str) -> str:
    if len(key) <= 12:
        return "*" * len(key)
    return key[:8] + "*" * (len(key) - 12) + key[-4:]


def _integer(param: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise _bad_param(param, f"Invalid integer: {raw}", "parameter_invalid_integer") from None


class _Sandbox:
    """State and request handling of one sandbox app (counters, cached filter unions)."""

    def __init__(
        self,
        dataset: StripeDataset,
        api_key: str,
        rate_limit_every: int | None,
        error_every: int | None,
        retry_after: int,
    ) -> None:
        if not api_key:
            raise ValueError("api_key must not be empty")
        if (rate_limit_every or 0) < 0 or (error_every or 0) < 0 or retry_after < 0:
            raise ValueError("rate_limit_every, error_every and retry_after must be >= 0")
        self.dataset = dataset
        self.api_key = api_key
        self.rate_limit_every = rate_limit_every or 0
        self.error_every = error_every or 0
        self.retry_after = retry_after
        self.requests = itertools.count(1)  # authenticated API requests (429/500 cadence)
        self.request_ids = itertools.count(1)
        self.recent: collections.deque[dict[str, str]] = collections.deque(maxlen=REQUEST_LOG_SIZE)
        self._unions: dict[tuple[str, str, tuple[str, ...]], list[int]] = {}

    # ---- plumbing ----------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {
            "request-id": f"req_sbx{next(self.request_ids):010d}",
            "stripe-version": API_VERSION,
        }

    def error_response(self, error: _ApiError) -> Response:
        body = json.dumps({"error": error.body}, separators=(",", ":")).encode()
        headers = self._headers() | error.headers
        return Response(body, status_code=error.status, media_type=_JSON, headers=headers)

    def _authenticate(self, request: Request) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, credentials = header.partition(" ")
        key = None
        if scheme.lower() == "bearer":
            key = credentials.strip()
        elif scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credentials.strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            key = decoded.partition(":")[0]
        if not key:
            raise _ApiError(
                401,
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, "
                "or we can help at https://support.stripe.com/.",
            )
        if not hmac.compare_digest(key.encode(), self.api_key.encode()):
            raise _ApiError(401, f"Invalid API Key provided: {_redact(key)}")

    def _throttle(self) -> None:
        n = next(self.requests)
        if self.rate_limit_every and n % self.rate_limit_every == 0:
            raise _ApiError(
                429,
                "Request rate limit exceeded. Learn more about rate limits here "
                "https://stripe.com/docs/rate-limits.",
                code="rate_limit",
                headers={"retry-after": str(self.retry_after)},
            )
        if self.error_every and n % self.error_every == 0:
            raise _ApiError(
                500,
                "An unknown error occurred (injected by the Stripe sandbox).",
                kind="api_error",
            )

    def _table(self, request: Request) -> Table:
        resource = request.path_params["resource"]
        table = self.dataset.tables.get(resource)
        if table is None:
            raise _unrecognized(request)
        return table

    async def guarded(self, request: Request, handler: Any) -> Response:
        try:
            self._authenticate(request)
            self.recent.append(
                {
                    "method": request.method,
                    "path": request.url.path,
                    "query": request.url.query,
                    "stripe_version": request.headers.get("stripe-version", ""),
                }
            )
            if request.method != "GET":
                raise _ApiError(
                    405,
                    f"The Stripe sandbox is read-only: {request.method} {request.url.path} "
                    "is not supported.",
                )
            self._throttle()
            return handler(request)
        except _ApiError as error:
            return self.error_response(error)

    # ---- endpoints ---------------------------------------------------------------------------

    def list_objects(self, request: Request) -> Response:
        table = self._table(request)
        resource = table.resource
        params = request.query_params
        limit = DEFAULT_LIMIT
        starting_after = ending_before = None
        bounds: dict[str, int] = {}
        filters: dict[str, str] = {}
        for name, raw in params.multi_items():
            if name == "limit":
                limit = _integer("limit", raw)
                if not 1 <= limit <= MAX_LIMIT:
                    raise _bad_param(
                        "limit", f"Invalid limit: must be between 1 and {MAX_LIMIT}, got {raw}."
                    )
            elif name == "starting_after":
                starting_after = self._cursor(table, name, raw)
            elif name == "ending_before":
                ending_before = self._cursor(table, name, raw)
            elif name == "created":
                exact = _integer(name, raw)
                bounds["gte"] = bounds["lte"] = exact
            elif name.startswith("created[") and name.endswith("]"):
                operator = name[len("created[") : -1]
                if operator not in _CREATED_OPERATORS:
                    raise _unknown_param(name)
                bounds[operator] = _integer(name, raw)
            elif name.startswith("expand"):
                raise _bad_param(name, "The Stripe sandbox does not support expand.")
            elif name in table.filters or (name == "currency" and resource != "customers"):
                filters[name] = self._filter_value(resource, name, raw)
            else:
                raise _unknown_param(name)
        if starting_after is not None and ending_before is not None:
            raise _bad_param(
                "ending_before",
                "You may only specify one of these parameters: ending_before, starting_after.",
            )
        lo, hi = table.created_window(**bounds)
        candidates = self._candidates(table, filters)
        positions, has_more = table.page(
            limit,
            lo,
            hi,
            starting_after=starting_after,
            ending_before=ending_before,
            candidates=candidates,
        )
        body = b"".join(
            (
                b'{"object":"list","data":[',
                table.join(positions),
                b'],"has_more":',
                b"true" if has_more else b"false",
                b',"url":"/v1/',
                resource.encode(),
                b'"}',
            )
        )
        return Response(body, media_type=_JSON, headers=self._headers())

    def retrieve(self, request: Request) -> Response:
        table = self._table(request)
        object_id = request.path_params["object_id"]
        if request.query_params:
            name = next(iter(request.query_params))
            if name.startswith("expand"):
                raise _bad_param(name, "The Stripe sandbox does not support expand.")
            raise _unknown_param(name)
        blob = table.get(object_id)
        if blob is None:
            raise _ApiError(
                404,
                f"No such {table.object_name}: '{object_id}'",
                code="resource_missing",
                param="id",
            )
        return Response(blob, media_type=_JSON, headers=self._headers())

    # ---- filters -----------------------------------------------------------------------------

    @staticmethod
    def _cursor(table: Table, name: str, raw: str) -> int:
        at = table.position.get(raw)
        if at is None:
            raise _ApiError(
                400,
                f"No such {table.object_name}: '{raw}'",
                code="resource_missing",
                param=name,
            )
        return at

    @staticmethod
    def _filter_value(resource: str, name: str, raw: str) -> str:
        if name in _BOOLEAN_FILTERS and raw not in ("true", "false"):
            raise _bad_param(name, f"Invalid boolean: {raw}")
        allowed = _ENUM_FILTERS.get((resource, name))
        if allowed is not None and raw not in allowed:
            raise _bad_param(name, f"Invalid {name}: must be one of {', '.join(allowed)}")
        return raw

    def _union(self, table: Table, name: str, values: Sequence[str]) -> list[int]:
        key = (table.resource, name, tuple(values))
        cached = self._unions.get(key)
        if cached is None:
            index = table.index(name)
            cached = list(heapq.merge(*(index.get(value, []) for value in values)))
            self._unions[key] = cached
        return cached

    def _candidates(self, table: Table, filters: dict[str, str]) -> list[int] | None:
        """Ascending positions selected by the equality filters; None when unfiltered."""
        lists: list[list[int]] = []
        for name, value in filters.items():
            if name == "currency" and name not in table.filters:
                if value != "usd":  # every object of the sandbox account is in usd
                    return []
            elif not (table.resource == "subscriptions" and name == "status"):
                lists.append(table.index(name).get(value, []))
        if table.resource == "subscriptions":
            status = filters.get("status")
            if status is None:  # Stripe's default: every subscription that is not canceled
                lists.append(self._union(table, "status", _NOT_CANCELED))
            elif status == "ended":
                lists.append(self._union(table, "status", ("canceled", "incomplete_expired")))
            elif status != "all":
                lists.append(table.index("status").get(status, []))
        if not lists:
            return None
        lists.sort(key=len)
        result = lists[0]
        for other in lists[1:]:
            members = set(other)
            result = [at for at in result if at in members]
        return result


def _unknown_param(name: str) -> _ApiError:
    return _bad_param(
        name,
        f"Received unknown parameter: {name} (the Stripe sandbox may not support it)",
        "parameter_unknown",
    )


def _unrecognized(request: Request) -> _ApiError:
    return _ApiError(
        404,
        f"Unrecognized request URL ({request.method}: {request.url.path}). Please see "
        "https://stripe.com/docs or we can help at https://support.stripe.com/.",
    )


def create_app(
    dataset: StripeDataset,
    api_key: str = DEFAULT_API_KEY,
    rate_limit_every: int | None = DEFAULT_RATE_LIMIT_EVERY,
    *,
    error_every: int | None = None,
    retry_after: int = 1,
    prerender: bool | Sequence[str] = True,
) -> Starlette:
    """An ASGI app serving ``dataset`` like the Stripe API (read endpoints only).

    ``rate_limit_every=N`` answers every Nth authenticated request with a 429 (0 or None: never);
    ``error_every=M`` answers every Mth with a 500. ``prerender`` serializes the tables up front
    (all of them, or the named ones) so no request pays for it.
    """
    if prerender:
        dataset.render(None if prerender is True else tuple(prerender))
    sandbox = _Sandbox(dataset, api_key, rate_limit_every, error_every, retry_after)

    async def list_objects(request: Request) -> Response:
        return await sandbox.guarded(request, sandbox.list_objects)

    async def retrieve_object(request: Request) -> Response:
        return await sandbox.guarded(request, sandbox.retrieve)

    async def recent_requests(request: Request) -> Response:
        """The sandbox's own log of recent authenticated API requests, for tests and demos."""
        return JSONResponse(list(sandbox.recent))

    async def not_found(request: Request, exc: Exception) -> Response:
        return sandbox.error_response(_unrecognized(request))

    methods = ["GET", "POST", "DELETE", "PUT", "PATCH"]
    app = Starlette(
        routes=[
            Route("/_sandbox/requests", recent_requests, methods=["GET"]),
            Route("/v1/{resource}", list_objects, methods=methods),
            Route("/v1/{resource}/{object_id}", retrieve_object, methods=methods),
        ],
        exception_handlers={404: not_found, 405: not_found},
    )
    app.state.sandbox = sandbox
    app.state.dataset = dataset
    return app
