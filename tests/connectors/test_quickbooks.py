"""The QuickBooks connector's declaration and OAuth app, its simulator over real HTTP (Intuit's
envelopes, query grammar, change data capture, faults and limits, through the official SDK too),
and how a stream reads pages and changes from it."""

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import quickbooks.objects
import requests
from quickbooks import QuickBooks
from quickbooks.exceptions import AuthorizationException, ValidationException

from connectors.base import ConnectionSpec, Runtime
from connectors.conformance import Declaration
from connectors.oauth import OAuthTokens, new_code_verifier
from connectors.quickbooks import OAUTH_APP, connector
from connectors.quickbooks.api import QuickBooksApi
from connectors.quickbooks.pages import changed_records, query_pages
from connectors.quickbooks.streams import STREAMS
from connectors.sandbox.generic import Faults
from connectors.sandbox.quickbooks import REALM_ID, Sandbox, create_app
from connectors.sandbox.quickbooks.app import THROTTLE_PER_MINUTE
from connectors.sandbox.quickbooks.dataset import updated_at
from connectors.sandbox.server import running
from governance.errors import AtsparkError

BY_NAME = {stream.spec.name: stream for stream in STREAMS}
CLIENT = ("sandbox-client-id", "sandbox-client-secret")


class TestQuickBooksDeclaration(Declaration):
    connectors: ClassVar[list[str]] = ["quickbooks"]


class Switchable:
    """An ASGI app serving whichever app it holds: one server for a module's simulators."""

    def __init__(self) -> None:
        self.app = None

    async def __call__(self, scope, receive, send) -> None:
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, Switchable]]:
    served = Switchable()
    with running(served) as url:
        yield url, served


@pytest.fixture
def sandbox(server) -> Callable[..., tuple[str, Sandbox]]:
    """Serve a new simulator (``create_app``'s arguments): its base URL and its ``Sandbox``."""
    url, served = server

    def serve(seed: int = 3, records: int | None = 20, **options) -> tuple[str, Sandbox]:
        served.app = create_app(seed, records, **options)
        return url, served.app.state.sandbox

    return serve


def api_url(url: str, operation: str) -> str:
    return f"{url}/v3/company/{REALM_ID}/{operation}"


def token(box) -> dict[str, str]:
    return {"Authorization": f"Bearer {box.oauth.issue_access_token()}"}


def query(url: str, box, statement: str) -> httpx.Response:
    headers = {**token(box), "Content-Type": "application/text", "Accept": "application/json"}
    return httpx.post(api_url(url, "query"), content=statement, headers=headers)


def sdk(url: str, box) -> QuickBooks:
    """The official SDK's client at the simulator, on a plain session with a valid token."""
    client = QuickBooks(company_id=REALM_ID, minorversion=75)
    client.api_url_v3 = f"{url}/v3"
    client.session = requests.Session()
    client.session.access_token = box.oauth.issue_access_token()
    return client


# ---- declaration ------------------------------------------------------------------------------


def test_streams_are_intuits_entities_in_snake_case_keyed_on_id_incremental_on_update_time():
    sdk_entities = {
        value.qbo_object_name
        for value in vars(quickbooks.objects).values()
        if isinstance(value, type) and getattr(value, "qbo_object_name", "")
    }
    required = (
        "account bill bill_payment customer invoice item journal_entry payment purchase vendor"
    )
    assert set(required.split()) <= set(BY_NAME)
    for stream in STREAMS:
        assert stream.entity in sdk_entities, stream.entity
        assert stream.spec.name == re.sub(r"(?<!^)(?=[A-Z])", "_", stream.entity).lower()
        assert stream.spec.key == ("Id",)
        assert stream.spec.cursor == "MetaData__LastUpdatedTime"
        assert stream.spec.write_disposition == "merge"


def test_secrets_are_the_oauth_tokens_write_only_and_config_names_the_company():
    schema = connector.config_schema
    secrets = {name for name, field in schema["properties"].items() if field.get("writeOnly")}
    assert secrets == {"client_id", "client_secret", "access_token", "refresh_token", "expires_at"}
    assert set(schema["required"]) == {"realm_id", "client_id", "client_secret", "refresh_token"}
    assert {"base_url", "realm_id", "environment", "minor_version", "streams", "start_date"} <= set(
        schema["properties"]
    )
    assert schema["properties"]["environment"]["enum"] == ["production", "sandbox"]
    assert connector.info.auth == "oauth2_refresh_token"


def test_the_oauth_app_asks_for_the_accounting_scope_only_at_intuits_endpoints():
    app = connector.oauth_app({"realm_id": "1"})
    assert app == OAUTH_APP
    assert app.scopes == ("com.intuit.quickbooks.accounting",)
    assert app.authorize_url == "https://appcenter.intuit.com/connect/oauth2"
    assert app.token_url == "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
    assert app.revoke_url == "https://developer.api.intuit.com/v2/oauth2/tokens/revoke"
    assert app.client_auth == "client_secret_basic"
    assert dict(app.callback_config) == {"realmId": "realm_id"}
    assert set(app.allowed_hosts) == {"oauth.platform.intuit.com", "developer.api.intuit.com"}
    intuit_sandbox = "https://sandbox-quickbooks.api.intuit.com"
    assert connector.oauth_app({"environment": "sandbox", "base_url": intuit_sandbox}) == OAUTH_APP


def test_at_a_simulator_the_oauth_app_moves_to_its_origin_with_intuits_paths():
    app = connector.oauth_app({"base_url": "http://127.0.0.1:9999/"})
    assert app.authorize_url == "http://127.0.0.1:9999/connect/oauth2"
    assert app.token_url == "http://127.0.0.1:9999/oauth2/v1/tokens/bearer"
    assert app.revoke_url == "http://127.0.0.1:9999/v2/oauth2/tokens/revoke"
    assert app.scopes == OAUTH_APP.scopes


def test_the_consent_asks_only_accounting_and_the_callback_names_the_company(sandbox):
    url, box = sandbox()
    app = connector.oauth_app({"base_url": url})
    verifier = new_code_verifier()
    callback = "http://127.0.0.1:1/oauth/callback"
    consent = httpx.get(app.authorization_url(CLIENT[0], callback, "st8", verifier))
    assert consent.status_code == 200
    assert box.oauth.consents == [{"scopes": {"com.intuit.quickbooks.accounting"}}]
    form = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', consent.text))
    allowed = httpx.post(f"{url}/connect/oauth2", data={**form, "decision": "allow"})
    given = parse_qs(urlsplit(allowed.headers["location"]).query)
    assert given["realmId"] == [REALM_ID] and given["state"] == ["st8"]
    form = {
        "grant_type": "authorization_code",
        "code": given["code"][0],
        "redirect_uri": callback,
        "code_verifier": verifier,
    }
    assert httpx.post(app.token_url, data=form).status_code == 401  # Basic auth only
    form["code"] = "spent"
    tokens = httpx.post(app.token_url, data=form, auth=CLIENT)
    assert tokens.status_code == 400 and tokens.json() == {"error": "invalid_grant"}


def spec(config: dict, secrets: dict | None = None) -> ConnectionSpec:
    given = {"client_id": "c", "client_secret": "s", "refresh_token": "r"}
    runtime = Runtime(egress_hosts=("127.0.0.1",))
    return ConnectionSpec("acme", "qb", config, given if secrets is None else secrets, runtime)


@pytest.mark.parametrize(
    ("config", "secrets", "message"),
    [
        ({"realm_id": "1", "base_url": "http://169.254.169.254"}, None, "may not reach"),
        ({"realm_id": "1", "base_url": "https://quickbooks.example.com"}, None, "may not reach"),
        ({"realm_id": "12/../34"}, None, "needs a realm_id of digits"),
        ({}, None, "needs config realm_id"),
        ({"realm_id": "1"}, {"client_id": "c", "client_secret": "s"}, "needs secret refresh_token"),
        ({"realm_id": "1", "streams": ["invoices"]}, None, "'invoices' is not one of"),
        ({"realm_id": "1", "minor_version": 70}, None, "minor_version"),
        ({"realm_id": "1", "environment": "staging"}, None, "environment"),
    ],
)
def test_a_bad_connection_is_refused_naming_what_is_wrong(config, secrets, message):
    with pytest.raises(AtsparkError, match=message) as refused:
        connector.validate(spec(config, secrets))
    assert "'r'" not in str(refused.value)


def test_the_environment_picks_intuits_host_and_both_hosts_are_allowed():
    connector.validate(spec({"realm_id": "1", "environment": "sandbox"}))
    intuit_sandbox = "https://sandbox-quickbooks.api.intuit.com"
    assert connector.base_url({"environment": "sandbox"}) == intuit_sandbox
    assert connector.base_url({}) == "https://quickbooks.api.intuit.com"


def test_the_simulator_banner_says_how_to_connect():
    app = connector.simulator(7, 10, 0, 0)
    banner = app.state.banner.format(base_url="http://127.0.0.1:12111")
    assert f"--config realm_id={REALM_ID}" in banner
    assert "--config base_url=http://127.0.0.1:12111" in banner
    assert "client_id sandbox-client-id" in banner and "Authorization: Bearer at_" in banner


# ---- the simulator ----------------------------------------------------------------------------


def test_a_query_answers_intuits_envelope_and_pages_from_position_one(sandbox):
    url, box = sandbox()
    invoices = box.company.entities["Invoice"]
    first = query(url, box, "select * from Invoice STARTPOSITION 1 MAXRESULTS 5").json()
    assert set(first) == {"QueryResponse", "time"}
    assert first["QueryResponse"]["startPosition"] == 1
    assert first["QueryResponse"]["maxResults"] == 5
    assert [r["Id"] for r in first["QueryResponse"]["Invoice"]] == [r["Id"] for r in invoices[:5]]
    everything = query(url, box, "SELECT * FROM Invoice MAXRESULTS 1000").json()
    assert len(everything["QueryResponse"]["Invoice"]) == len(invoices)
    default = query(url, box, "select * from Invoice").json()["QueryResponse"]
    assert default["maxResults"] == min(100, len(invoices))
    later = datetime.now(UTC) + timedelta(days=1)
    where = f"where MetaData.LastUpdatedTime >= '{later.isoformat()}'"
    assert query(url, box, f"select * from Invoice {where}").json()["QueryResponse"] == {}
    params = {"query": "select * from Term"}
    by_get = httpx.get(api_url(url, "query"), params=params, headers=token(box))
    assert len(by_get.json()["QueryResponse"]["Term"]) == len(box.company.entities["Term"])


def test_a_name_list_answers_only_active_entities_unless_asked_for_both(sandbox):
    url, box = sandbox()
    box.company.advance(new=0, updated=0, deleted=2)
    customers = box.company.entities["Customer"]
    inactive = {c["Id"] for c in customers if not c["Active"]}
    assert inactive
    active = query(url, box, "select * from Customer maxresults 1000").json()
    assert {c["Id"] for c in active["QueryResponse"]["Customer"]}.isdisjoint(inactive)
    statement = "select * from Customer where Active IN (true, false) MAXRESULTS 1000"
    both = query(url, box, statement)
    assert len(both.json()["QueryResponse"]["Customer"]) == len(customers)


def test_the_update_time_filters_and_orders_with_zones_compared_as_moments(sandbox):
    url, box = sandbox()
    bills = box.company.entities["Bill"]
    middle = sorted(updated_at(b) for b in bills)[len(bills) // 2]
    in_utc = middle.astimezone(UTC).isoformat()
    statement = (
        f"SELECT * FROM Bill WHERE MetaData.LastUpdatedTime >= '{in_utc}' "
        "ORDERBY MetaData.LastUpdatedTime MAXRESULTS 1000"
    )
    answer = query(url, box, statement).json()
    found = answer["QueryResponse"]["Bill"]
    times = [updated_at(b) for b in found]
    assert times == sorted(times) and min(times) >= middle
    assert len(found) == sum(updated_at(b) >= middle for b in bills)


@pytest.mark.parametrize(
    ("statement", "code"),
    [
        ("select Id from Invoice", "4000"),
        ("select * from Invoices", "4000"),
        ("select * from Invoice where TotalAmt > '5'", "4001"),
        ("select * from Invoice where MetaData.LastUpdatedTime >= 'yesterday'", "4000"),
        (
            "select * from Invoice where MetaData.LastUpdatedTime >= '2024-01-01' or Id = '1'",
            "4000",
        ),
        ("select * from Invoice STARTPOSITION 0", "4000"),
        ("select * from Invoice MAXRESULTS 10 STARTPOSITION 1", "4000"),
        ("select * from Invoice where Active = true", "4001"),
        ("select * from TaxCode where MetaData.LastUpdatedTime >= '2024-01-01'", "4001"),
        ("select * from Invoice; drop table Invoice", "4000"),
    ],
)
def test_a_statement_outside_the_grammar_answers_a_validation_fault(statement, code, sandbox):
    url, box = sandbox(records=2)
    answer = query(url, box, statement)
    assert answer.status_code == 400
    fault = answer.json()["Fault"]
    assert fault["type"] == "ValidationFault"
    assert fault["Error"][0]["code"] == code and fault["Error"][0]["Message"]


def test_change_data_capture_reports_changes_and_deletions_within_30_days(sandbox):
    url, box = sandbox()
    before = datetime.now(UTC) - timedelta(seconds=5)
    box.company.advance(new=1, updated=1, deleted=1)
    params = {"entities": "Invoice,Customer,Bill", "changedSince": before.isoformat()}
    answer = httpx.get(api_url(url, "cdc"), params=params, headers=token(box)).json()
    assert set(answer) == {"CDCResponse", "time"}
    responses = answer["CDCResponse"][0]["QueryResponse"]
    named = [next(key for key in response if key[0].isupper()) for response in responses]
    assert named == ["Invoice", "Customer", "Bill"]
    invoices = responses[0]["Invoice"]
    deleted = [r for r in invoices if r.get("status") == "Deleted"]
    assert len(deleted) == 1 and set(deleted[0]) == {"domain", "status", "Id", "MetaData"}
    assert deleted[0]["Id"] not in {r["Id"] for r in box.company.entities["Invoice"]}
    assert responses[0]["maxResults"] == len(invoices) >= 3  # edited, added, deleted, paid
    customers = responses[1]["Customer"]
    assert any(c["Active"] is False for c in customers)  # a customer is made inactive
    month_ago = (datetime.now(UTC) - timedelta(days=31)).isoformat()
    old = {"entities": "Invoice", "changedSince": month_ago}
    too_old = httpx.get(api_url(url, "cdc"), params=old, headers=token(box))
    taxes = {"entities": "TaxCode", "changedSince": before.isoformat()}
    not_covered = httpx.get(api_url(url, "cdc"), params=taxes, headers=token(box))
    for refused in (too_old, not_covered):
        assert refused.status_code == 400
        assert refused.json()["Fault"]["type"] == "ValidationFault"


def test_change_data_capture_answers_at_most_1000_objects(sandbox):
    url, box = sandbox(records=200)
    since = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()
    box.company.advance(new=0, updated=10_000, deleted=0)
    params = {"entities": "Invoice,Payment,Bill,Purchase,Customer", "changedSince": since}
    answer = httpx.get(api_url(url, "cdc"), params=params, headers=token(box)).json()
    counted = sum(
        len(records)
        for response in answer["CDCResponse"][0]["QueryResponse"]
        for key, records in response.items()
        if key[0].isupper()
    )
    assert counted == 1000


def test_access_is_refused_in_intuits_shapes(sandbox):
    url, box = sandbox(records=2)
    text = {"Content-Type": "application/text"}
    statement = "select * from Term"
    missing = httpx.post(api_url(url, "query"), content=statement, headers=text)
    unknown = {**text, "Authorization": "Bearer at_nope"}
    wrong = httpx.post(api_url(url, "query"), content=statement, headers=unknown)
    elsewhere = f"{url}/v3/company/123/query"
    other = httpx.post(elsewhere, content=statement, headers={**text, **token(box)})
    for refused in (missing, wrong):
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")
        fault = refused.json()["fault"]
        assert fault["type"] == "AUTHENTICATION" and fault["error"][0]["code"] == "3200"
        assert "AuthenticationFailed" in fault["error"][0]["message"]
    assert other.status_code == 403 and other.json()["Fault"]["Error"][0]["code"] == "3100"


def test_past_its_requests_a_minute_intuit_throttles_without_retry_after(sandbox):
    assert THROTTLE_PER_MINUTE == 500
    url, box = sandbox(records=2)
    box.per_minute = 20
    headers = {**token(box), "Content-Type": "application/text"}
    with httpx.Client() as client:
        answers = [
            client.post(api_url(url, "query"), content="select * from Term", headers=headers)
            for _ in range(21)
        ]
    assert [a.status_code for a in answers[:20]] == [200] * 20
    throttled = answers[20]
    assert throttled.status_code == 429 and "retry-after" not in throttled.headers
    fault = throttled.json()["Fault"]
    assert (
        fault["Error"][0]["code"] == "3001" and "ThrottleExceeded" in fault["Error"][0]["Message"]
    )


def test_faults_on_schedule_have_intuits_shapes(sandbox):
    faults = Faults(rate_limit_every=2, error_every=3, max_each=1)
    url, box = sandbox(records=2, faults=faults)
    answers = [query(url, box, "select * from Term") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 429, 503, 200]
    assert answers[1].json()["Fault"]["Error"][0]["code"] == "3001"
    assert answers[2].json()["Fault"]["type"] == "SystemFault"


def test_the_official_sdk_reads_the_simulator_and_raises_its_own_errors(sandbox):
    url, box = sandbox()
    client = sdk(url, box)
    answer = client.query("select * from Vendor where Active IN (true, false) MAXRESULTS 1000")
    assert len(answer["QueryResponse"]["Vendor"]) == len(box.company.entities["Vendor"])
    since = (datetime.now(UTC) - timedelta(days=20)).isoformat()
    changes = client.change_data_capture("Bill", since)
    assert "QueryResponse" in changes["CDCResponse"][0]
    with pytest.raises(ValidationException) as invalid:
        client.query("select * from Nothing")
    assert invalid.value.error_code == 4000
    client.session.access_token = "at_expired"
    with pytest.raises(AuthorizationException):
        client.query("select * from Term")


def test_every_field_the_simulator_sends_is_a_declared_column(sandbox):
    _, box = sandbox(records=40)
    box.company.advance()
    for stream in STREAMS:
        fields = {
            f"MetaData__{k}" if k in record.get("MetaData", {}) else k
            for record in box.company.entities[stream.entity]
            for key in record
            for k in (record["MetaData"] if key == "MetaData" else [key])
        }
        assert fields <= set(stream.columns), (stream.entity, fields - set(stream.columns))


# ---- reading a stream -------------------------------------------------------------------------


@pytest.fixture
def reader(sandbox) -> Callable[..., tuple[QuickBooksApi, Sandbox, str]]:
    """A company's API as a stream reads it (the SDK on a guarded session, renewing tokens)."""
    from connectors.declarative.spec import Retry
    from connectors.egress import Egress, guarded_session

    def read(**options) -> tuple[QuickBooksApi, Sandbox, str]:
        url, box = sandbox(**options)
        egress = Egress("QuickBooks", ("127.0.0.1",), None)
        session = guarded_session(egress, Retry(), stop_on_client_errors=False)
        tokens = OAuthTokens(
            connector.oauth_app({"base_url": url}),
            {"client_id": CLIENT[0], "client_secret": CLIENT[1], "refresh_token": "rt-any"},
            session,
            None,
        )
        return QuickBooksApi(url, REALM_ID, 75, session, tokens), box, url

    return read


def test_pages_walk_by_update_time_and_inside_a_moment_by_position(reader):
    """Thousands of invoices, 1,100 of them saved in one second: the pages ask from the last
    time seen, step by position inside that second, and an invoice saved again while they are
    read (it moves to the end of the order) shifts nothing out of sight."""
    api, box, _ = reader(records=600)
    invoices = box.company.entities["Invoice"]
    moment = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    for invoice in invoices[:1100]:
        invoice["MetaData"]["LastUpdatedTime"] = moment.isoformat()
    pages = query_pages(api, BY_NAME["invoice"], None)
    first = next(pages)
    box.company.touch("Invoice", invoices[0], datetime.now(UTC).replace(microsecond=0))
    seen = [record["Id"] for page in [first, *pages] for record in page]
    statements = [r["statement"] for r in box.requests]
    assert len(invoices) > 1100
    assert sorted(set(seen), key=int) == [invoice["Id"] for invoice in invoices]
    assert len(seen) == len(invoices) + 1  # the one saved again, twice: the load merges them
    assert statements[0] == (
        "SELECT * FROM Invoice ORDERBY MetaData.LastUpdatedTime STARTPOSITION 1 MAXRESULTS 1000"
    )
    since = f"WHERE MetaData.LastUpdatedTime >= '{moment.isoformat()}'"
    order = "ORDERBY MetaData.LastUpdatedTime"
    assert statements[1:3] == [
        f"SELECT * FROM Invoice {since} {order} STARTPOSITION 1 MAXRESULTS 1000",
        f"SELECT * FROM Invoice {since} {order} STARTPOSITION 1001 MAXRESULTS 1000",
    ]


def test_tax_lists_are_read_whole(reader):
    api, box, _ = reader(records=2)
    since = datetime.now(UTC)
    read = [
        r["Id"] for page in changed_records(api, BY_NAME["tax_rate"], since, True) for r in page
    ]
    assert read == [r["Id"] for r in box.company.entities["TaxRate"]]
    assert [r["statement"] for r in box.requests] == [
        "SELECT * FROM TaxRate STARTPOSITION 1 MAXRESULTS 1000"
    ]


def test_changes_come_from_cdc_within_30_days_of_a_load_and_from_queries_otherwise(reader):
    api, box, _ = reader(records=10)
    recent = datetime.now(UTC) - timedelta(days=29)
    list(changed_records(api, BY_NAME["bill"], recent, True))
    list(changed_records(api, BY_NAME["bill"], recent - timedelta(days=2), True))
    list(changed_records(api, BY_NAME["bill"], recent, False))  # a first run, from a start date
    assert [r["path"].rsplit("/", 1)[1] for r in box.requests] == ["cdc", "query", "query"]
    assert box.requests[0]["params"]["changedSince"] == recent.replace(microsecond=0).isoformat()


def test_a_cdc_answer_that_may_be_cut_off_is_read_again_by_queries_keeping_its_deletions(reader):
    api, box, _ = reader(records=520)
    since = datetime.now(UTC) - timedelta(seconds=5)
    box.company.advance(new=0, updated=0, deleted=1)
    box.company.advance(new=0, updated=10_000, deleted=0)  # a second later
    batches = list(changed_records(api, BY_NAME["invoice"], since, True))
    assert len(box.company.entities["Invoice"]) >= 1000
    paths = [r["path"].rsplit("/", 1)[1] for r in box.requests]
    assert paths[0] == "cdc" and set(paths[1:]) == {"query"}
    assert [r.get("status") for r in batches[0]] == ["Deleted"]
    read = {r["Id"] for batch in batches[1:] for r in batch}
    assert read == {i["Id"] for i in box.company.entities["Invoice"]}


def test_an_access_token_intuit_refuses_early_is_renewed_once_and_the_request_asked_again(reader):
    api, box, url = reader(records=2)
    api.query("Term", "select * from Term")
    httpx.post(f"{url}/_sandbox/oauth/expire")
    assert api.query("Term", "select * from Term")
    authorizations = [r["token_digest"] for r in box.requests]
    assert len(authorizations) == 3
    assert authorizations[0] == authorizations[1] != authorizations[2]
