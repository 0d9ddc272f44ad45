"""The Zoho CRM simulator's HTTP API: Zoho CRM v8's read endpoints, its OAuth, its errors.

``GET /crm/v8/{module}`` as Zoho answers it: ``fields`` required (at most 50), ``per_page`` up
to 200, ``page`` only within the first 2,000 records (then ``page_token``, from
``info.next_page_token``, up to 100,000), ``ids``, ``sort_by``/``sort_order``, and
``If-Modified-Since`` (records modified after it; 304 when there are none); 204 when a page has
no records. ``GET /crm/v8/settings/fields?module=`` lists a module's fields. Requests carry
``Authorization: Zoho-oauthtoken <token>``: a token of the accounts server (``/oauth/v2/*``) or
the fixed sandbox token. Errors are Zoho's ``{"code", "details", "message", "status": "error"}``.
Faults on schedule: every Nth API request a 429 ``TOO_MANY_REQUESTS`` with ``Retry-After``, a
500 ``INTERNAL_ERROR``, a connection reset in the middle of the body, or a slow answer. Control
routes: ``/_sandbox/advance``, ``/_sandbox/records/{stream}``, ``/_sandbox/requests`` and the
accounts server's ``/_sandbox/oauth/revoke`` and ``/_sandbox/oauth/expire``.
"""

import asyncio
import base64
import hashlib
import itertools
import json
import time
from datetime import datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.sandbox.faults import FaultKind, Faults, FaultSchedule, reset_mid_body
from connectors.sandbox.zoho_crm.accounts import SANDBOX_REFRESH_TOKEN, ZohoAccounts
from connectors.sandbox.zoho_crm.dataset import Dataset, Module, written
from connectors.sandbox.zoho_crm.metadata import fields_metadata
from connectors.zoho_crm.vendor import API_PATH, MODULES, stream_name

SANDBOX_ACCESS_TOKEN = "1000.sandbox0access0token.zohocrm"
"""An access token the simulator always accepts (as a Self Client's, that never expires)."""
AUTH_PREFIX = "Zoho-oauthtoken "
MAX_FIELDS = 50
MAX_PER_PAGE = 200
DISCRETE_LIMIT = 2_000
TOKEN_LIMIT = 100_000
SORTS = ("id", "Created_Time", "Modified_Time")


class ZohoError(Exception):
    """An answer in Zoho's error shape."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details, self.headers = details, headers or {}

    def response(self) -> Response:
        body = {
            "code": self.code,
            "details": self.details,
            "message": self.message,
            "status": "error",
        }
        return JSONResponse(body, self.status, headers=self.headers)


def _invalid(param: str, message: str = "invalid data", **details: Any) -> ZohoError:
    return ZohoError(400, "INVALID_DATA", message, param_name=param, **details)


class Simulator:
    """One organization served: its data, its accounts server, the requests it was sent."""

    def __init__(self, dataset: Dataset, faults: Faults) -> None:
        self.dataset = dataset
        self.accounts = ZohoAccounts()
        self.requests: list[dict[str, Any]] = []
        self._count = itertools.count(1)
        self.schedule = FaultSchedule(faults)

    # ---- the API -------------------------------------------------------------------------------

    async def api(self, scope: Any, receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        logged = {
            "method": request.method,
            "path": request.url.path,
            "query": dict(request.query_params),
            "if_modified_since": request.headers.get("if-modified-since"),
            "at": time.monotonic(),
        }
        self.requests.append(logged)
        fault = self._fault(self.schedule.due(next(self._count)))
        if fault == "reset":
            logged["status"] = "reset"
            await reset_mid_body(send, b'{"data": [{"id": "')
            return
        if fault == "slow":
            await asyncio.sleep(self.schedule.faults.slow_seconds)
        try:
            response = fault.response() if isinstance(fault, ZohoError) else self._answer(request)
        except ZohoError as error:
            response = error.response()
        logged["status"] = response.status_code
        await response(scope, receive, send)

    def _fault(self, kind: FaultKind | None) -> ZohoError | str | None:
        """A due fault in Zoho's shape, or the kind the transport plays (reset, slow)."""
        if kind == "rate_limit":
            wait = self.schedule.faults.retry_after_seconds
            return ZohoError(
                429,
                "TOO_MANY_REQUESTS",
                "The API requests are throttled. Please retry after some time.",
                headers={"Retry-After": str(wait)},
                retry_after=wait,
            )
        if kind == "error":
            return ZohoError(500, "INTERNAL_ERROR", "Internal Server Error")
        return kind

    def _answer(self, request: Request) -> Response:
        self._authenticate(request)
        if request.method != "GET":
            raise ZohoError(
                400, "INVALID_REQUEST_METHOD", "The http request method type is not a valid one"
            )
        rest = request.url.path.removeprefix(API_PATH + "/")
        if rest == "settings/fields":
            return self._fields(request)
        if "/" not in rest and rest:
            return self._records(request, rest)
        raise ZohoError(
            404, "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one"
        )

    def _authenticate(self, request: Request) -> None:
        header = request.headers.get("authorization", "")
        if not header.startswith(AUTH_PREFIX):
            raise ZohoError(401, "AUTHENTICATION_FAILURE", "Authentication failed")
        token = header.removeprefix(AUTH_PREFIX).strip()
        if token != SANDBOX_ACCESS_TOKEN and not self.accounts.access_token_valid(token):
            raise ZohoError(401, "INVALID_TOKEN", "invalid oauth token")

    def _module(self, name: str | None, **where: Any) -> Module:
        if not name:
            raise ZohoError(
                400, "REQUIRED_PARAM_MISSING", "required param is missing", param_name="module"
            )
        if name not in MODULES:
            raise ZohoError(
                400, "INVALID_MODULE", "the module name given seems to be invalid", **where
            )
        return self.dataset.module(name)

    def _fields(self, request: Request) -> Response:
        module = self._module(request.query_params.get("module"), param_name="module")
        return JSONResponse({"fields": fields_metadata(module)})

    def _records(self, request: Request, name: str) -> Response:
        module = self._module(name, resource_path_index=0)
        query = request.query_params
        names = _field_names(query.get("fields"))
        per_page = _bounded(query, "per_page", MAX_PER_PAGE, MAX_PER_PAGE)
        sort_by, order = query.get("sort_by", "id"), query.get("sort_order", "desc")
        if sort_by not in SORTS:
            raise _invalid("sort_by", "the given sort_by is invalid", supported_values=list(SORTS))
        if order not in ("asc", "desc"):
            raise _invalid("sort_order", "the given sort_order is invalid")
        since_text = request.headers.get("if-modified-since")
        rows = self._selected(module, query.get("ids"), _moment(since_text))
        if since_text and not rows:
            return Response(status_code=304)
        rows.sort(key=lambda row: _sort_key(row, sort_by), reverse=order == "desc")
        binding = _binding(module.name, sort_by, order, since_text)
        offset = self._offset(query, per_page, binding)
        page = rows[offset : offset + per_page]
        if not page:
            return Response(status_code=204)
        more = offset + per_page < len(rows)
        info = {
            "call": False,
            "per_page": per_page,
            "next_page_token": _token(offset + per_page, binding) if more else None,
            "count": len(page),
            "sort_by": sort_by,
            "page": offset // per_page + 1,
            "previous_page_token": _token(max(offset - per_page, 0), binding) if offset else None,
            "page_token_expiry": written(self.dataset.now + timedelta(days=1)) if more else None,
            "sort_order": order,
            "email": False,
            "more_records": more,
        }
        known = {spec.api_name for spec in module.fields}
        wanted = [name for name in names if name in known]
        data = [{"id": row["id"], **{name: row[name] for name in wanted}} for row in page]
        return JSONResponse({"data": data, "info": info})

    @staticmethod
    def _selected(module: Module, ids: str | None, since: datetime | None) -> list[dict[str, Any]]:
        rows = module.records
        if ids:
            wanted = set(ids.split(","))
            rows = [row for row in rows if row["id"] in wanted]
        if since is not None:
            rows = [row for row in rows if datetime.fromisoformat(row["Modified_Time"]) > since]
        return list(rows)

    @staticmethod
    def _offset(query: Any, per_page: int, binding: str) -> int:
        token = query.get("page_token")
        if token and "page" in query:
            raise ZohoError(
                400,
                "AMBIGUITY_DURING_PROCESSING",
                "page and page_token cannot be given together",
                ambiguity_due_to=[{"param_name": "page"}, {"param_name": "page_token"}],
            )
        if token:
            offset, bound = _untoken(token)
            if bound != binding:
                raise ZohoError(
                    400,
                    "TOKEN_BOUND_DATA_MISMATCH",
                    "the page_token was issued for another query",
                    param_name="page_token",
                )
            if offset >= TOKEN_LIMIT:
                raise ZohoError(
                    400,
                    "PAGINATION_LIMIT_EXCEEDED",
                    f"You can only get upto {TOKEN_LIMIT} records using page_token param",
                    param_name="page_token",
                )
            return offset
        page = _bounded(query, "page", None, 1)
        if page * per_page > DISCRETE_LIMIT:
            raise ZohoError(
                400,
                "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
                f"You can only get the first {DISCRETE_LIMIT} records without using "
                "page_token param",
                limit=DISCRETE_LIMIT,
            )
        return (page - 1) * per_page

    # ---- control -------------------------------------------------------------------------------

    async def advance(self, request: Request) -> Response:
        self.dataset.advance()
        return JSONResponse({"advanced": True, "now": written(self.dataset.now)})

    async def stream_records(self, request: Request) -> Response:
        """What a full load of a stream (a module, by its stream name) must hold."""
        modules = {stream_name(module): module for module in MODULES}
        name = modules.get(request.path_params["stream"])
        if name is None:
            return JSONResponse({"error": "no such stream"}, 404)
        return JSONResponse(self.dataset.module(name).records)

    async def request_log(self, request: Request) -> Response:
        return JSONResponse(self.requests)


def create_app(seed: int = 42, records: int | None = None, faults: Faults = Faults()) -> Starlette:
    """The simulator of one organization; ``app.state.simulator`` holds its state."""
    simulator = Simulator(Dataset(seed, records), faults)
    app = Starlette(
        routes=[
            Route("/_sandbox/advance", simulator.advance, methods=["POST"]),
            Route("/_sandbox/records/{stream}", simulator.stream_records),
            Route("/_sandbox/requests", simulator.request_log),
            *simulator.accounts.routes(),
        ]
    )
    app.state.simulator = simulator
    app.state.banner = BANNER.format(
        seed=seed,
        client_id=simulator.accounts.client_id,
        client_secret=simulator.accounts.client_secret,
        refresh_token=SANDBOX_REFRESH_TOKEN,
        access_token=SANDBOX_ACCESS_TOKEN,
        base_url="{base_url}",
    )
    control = app.router

    async def route(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith(API_PATH + "/"):
            await simulator.api(scope, receive, send)
        else:
            await control(scope, receive, send)

    app.router = route  # type: ignore[assignment]
    return app


BANNER = """\
Zoho CRM v8 of one organization (seed {seed}), its accounts server at the same origin.
OAuth app: client_id {client_id}, client_secret {client_secret} (authorize at
{base_url}/oauth/v2/auth); a refresh token it has issued already:
  atspark connection add acme zoho_crm --config base_url={base_url} \\
    --secret client_id={client_id} --secret client_secret={client_secret} \\
    --secret refresh_token={refresh_token}
or with its never-expiring access token: --secret access_token={access_token}"""


def _field_names(given: str | None) -> list[str]:
    if not given:
        raise ZohoError(
            400, "REQUIRED_PARAM_MISSING", "required param is missing", param_name="fields"
        )
    names = list(dict.fromkeys(name.strip() for name in given.split(",") if name.strip()))
    if len(names) > MAX_FIELDS:
        raise ZohoError(
            400,
            "LIMIT_EXCEEDED",
            "the given fields exceed the limit",
            limit=MAX_FIELDS,
            param_name="fields",
        )
    return names


def _bounded(query: Any, name: str, most: int | None, default: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _invalid(name) from None
    if value < 1 or (most is not None and value > most):
        raise _invalid(name)
    return value


def _moment(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise _invalid("If-Modified-Since", "the given date-time is invalid") from None
    if moment.tzinfo is None:
        raise _invalid("If-Modified-Since", "the given date-time needs a time zone offset")
    return moment


def _sort_key(row: dict[str, Any], sort_by: str) -> Any:
    value = row[sort_by]
    return int(value) if sort_by == "id" else datetime.fromisoformat(value)


def _binding(*parts: str | None) -> str:
    """What a page token is issued for: the module, the sort and ``If-Modified-Since``."""
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


def _token(offset: int, binding: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([offset, binding]).encode()).decode()


def _untoken(token: str) -> tuple[int, str]:
    try:
        offset, binding = json.loads(base64.urlsafe_b64decode(token.encode()))
        return int(offset), str(binding)
    except (ValueError, TypeError):
        raise _invalid("page_token", "the given page_token is invalid") from None
