"""OAuth connections end to end: a tenant admin connects Xero from the serving app against the
simulator's authorization server on 127.0.0.1 (consent, callback, tokens stored encrypted),
loads with the tokens, renews and rotates them, and is told to re-authorize when the vendor
revokes them; callbacks with a wrong, spent or someone else's ``state``, or a code bound to
another PKCE verifier, are refused and change nothing."""

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route

from connectors.registry import get_connector
from connectors.sandbox.generic import running_simulator
from connectors.sandbox.hubspot import create_app as create_hubspot
from connectors.sandbox.quickbooks.app import REALM_ID as QUICKBOOKS_REALM
from connectors.sandbox.quickbooks.app import create_app as create_quickbooks
from connectors.sandbox.server import running
from connectors.sandbox.zoho_crm import create_app as create_zoho_crm
from governance import tenancy
from governance.errors import AtsparkError
from governance.store.lookups import find_tenant
from governance.store.models import OAuthAuthorization
from services import audit, ingestion, tenants
from tests.app.web.test_pages import browser, page, shot, signed_in  # noqa: F401 (fixtures)
from tests.fixtures.services import free_port
from tests.fixtures.web import Person, client, person, sign_in

XERO = get_connector("xero")


@pytest.fixture
def xero() -> Iterator[tuple[str, object]]:
    with running_simulator(XERO.spec) as (url, simulator):
        yield url, simulator


@pytest.fixture
def ana(operator) -> Person:
    tenants.create_tenant(operator, "acme")
    return person(operator, "acme", "ana@acme.io", ["admin"])


@pytest.fixture
def admin(web, ana) -> Iterator[httpx.Client]:
    with client(web) as http:
        sign_in(http, ana)
        yield http


def start(http: httpx.Client, url: str, name: str = "xero") -> dict:
    body = {
        "connector": "xero",
        "name": name,
        "config": {"base_url": url, "tenant_id": "org-1"},
        "client_id": "app-id",
        "client_secret": "app-secret",
    }
    answer = http.post("/api/v1/admin/connections/authorize", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def consent(authorize_url: str, decision: str = "allow") -> str:
    """What a person does at the vendor: read the consent page, press a button; the URL the
    vendor sends the browser back to."""
    shown = httpx.get(authorize_url)
    assert shown.status_code == 200 and "Allow" in shown.text
    query = {key: values[0] for key, values in parse_qs(urlsplit(authorize_url).query).items()}
    answered = httpx.post(authorize_url.split("?")[0], data={**query, "decision": decision})
    assert answered.status_code == 302
    return answered.headers["location"]


def callback(http: httpx.Client, location: str) -> httpx.Response:
    parts = urlsplit(location)
    return http.get(f"{parts.path}?{parts.query}", follow_redirects=False)


def stored(operator, name: str = "xero") -> tuple[dict, str]:
    with operator.platform.control_plane.session() as session:
        tenant = find_tenant(session, "acme")
        found = tenancy.find_connection(session, tenant, name)
        return tenancy.connection_secrets(operator.platform, tenant, found), found.status


def actions(operator) -> list[tuple[str, str]]:
    return [
        (event.action, event.outcome)
        for event in audit.list_events(operator, "acme")
        if event.action.startswith("connection.")
    ]


def test_the_authorize_url_asks_for_the_declared_scopes_with_state_and_pkce(web, admin, xero):
    url, _ = xero
    started = start(admin, url)
    sent = urlsplit(started["authorize_url"])
    query = {key: values[0] for key, values in parse_qs(sent.query).items()}
    assert f"{sent.scheme}://{sent.netloc}" == url
    assert query["scope"].split(" ") == list(XERO.spec.auth.scopes)
    assert query["response_type"] == "code" and query["client_id"] == "app-id"
    assert query["redirect_uri"] == f"{web}/oauth/callback"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 40
    assert "app-secret" not in started["authorize_url"]


def test_connect_consent_callback_load_refresh_and_revocation(web, admin, operator, xero):
    url, _ = xero
    location = consent(start(admin, url)["authorize_url"])
    finished = callback(admin, location)
    assert finished.status_code == 303
    assert finished.headers["location"] == "/admin/connections?connected=xero"

    secrets, status = stored(operator)
    assert status == "active"
    assert set(secrets) == {"client_id", "client_secret", "access_token", "refresh_token",
                            "expires_at"}  # fmt: skip
    home = operator.platform.settings.home
    files = [path.read_bytes() for path in home.rglob("*") if path.is_file()]
    for value in (secrets["refresh_token"], secrets["access_token"], "app-secret"):
        assert not any(value.encode() in content for content in files), "plaintext at rest"
    shown = admin.get("/api/v1/admin/connections/xero").json()
    assert shown["status"] == "active" and shown["authorized_at"]
    assert set(shown["secrets"].values()) == {"********"}

    ingestion.ingest(operator, "acme", "xero")  # the access token the code bought works
    with operator.platform.control_plane.session() as session:  # an hour later
        tenant = find_tenant(session, "acme")
        found = tenancy.find_connection(session, tenant, "xero")
        tenancy.replace_connection_secrets(operator.platform, tenant, found, {"expires_at": "0"})
    ingestion.ingest(operator, "acme", "xero")
    renewed, _ = stored(operator)
    assert renewed["refresh_token"] != secrets["refresh_token"]  # Xero rotates them

    httpx.post(f"{url}/_sandbox/oauth/revoke").raise_for_status()  # removed at Xero
    httpx.post(f"{url}/_sandbox/oauth/expire").raise_for_status()
    with operator.platform.control_plane.session() as session:
        tenant = find_tenant(session, "acme")
        found = tenancy.find_connection(session, tenant, "xero")
        tenancy.replace_connection_secrets(operator.platform, tenant, found, {"expires_at": "0"})
    with pytest.raises(AtsparkError, match="needs to be authorized again"):
        ingestion.ingest(operator, "acme", "xero")
    assert stored(operator)[1] == "needs_reauthorization"
    assert admin.get("/api/v1/admin/connections/xero").json()["status"] == "needs_reauthorization"

    again = admin.post("/api/v1/admin/connections/xero/reauthorize")
    assert again.status_code == 201, again.text
    assert callback(admin, consent(again.json()["authorize_url"])).status_code == 303
    assert stored(operator)[1] == "active"
    ingestion.ingest(operator, "acme", "xero")

    assert admin.post("/api/v1/admin/connections/xero/disconnect").status_code == 204
    assert admin.get("/api/v1/admin/connections/xero").status_code == 404
    assert actions(operator) == [
        ("connection.authorize", "ok"),
        ("connection.connect", "ok"),
        ("connection.secrets_rotated", "ok"),  # renewed once: the first load had a fresh token
        ("connection.refresh_failed", "failed"),
        ("connection.authorize", "ok"),
        ("connection.reauthorize", "ok"),
        ("connection.disconnect", "ok"),
    ]


def test_quickbooks_takes_its_company_from_the_callback_and_disconnecting_revokes(
    web, admin, operator
):
    with running(create_quickbooks(records=5)) as url:
        body = {
            "connector": "quickbooks",
            "config": {"base_url": url, "streams": ["customer"]},
            "client_id": "sandbox-client-id",
            "client_secret": "sandbox-client-secret",
        }
        started = admin.post("/api/v1/admin/connections/authorize", json=body).json()
        scope = parse_qs(urlsplit(started["authorize_url"]).query)["scope"]
        assert scope == ["com.intuit.quickbooks.accounting"]
        assert callback(admin, consent(started["authorize_url"])).status_code == 303
        shown = admin.get("/api/v1/admin/connections/quickbooks").json()
        assert shown["config"]["realm_id"] == QUICKBOOKS_REALM
        result = ingestion.ingest(operator, "acme", "quickbooks")
        assert result.rows["quickbooks_customer"] == 5
        refresh = stored(operator, "quickbooks")[0]["refresh_token"]

        assert admin.delete("/api/v1/admin/connections/quickbooks").status_code == 204
        spent = httpx.post(
            f"{url}/oauth2/v1/tokens/bearer",
            data={"grant_type": "refresh_token", "refresh_token": refresh},
            auth=("sandbox-client-id", "sandbox-client-secret"),
        )
        assert spent.status_code == 400  # revoked at Intuit, not only forgotten here
    disconnected = [
        e for e in audit.list_events(operator, "acme") if e.action == "connection.disconnect"
    ]
    assert [(e.outcome, e.context["revoked"]) for e in disconnected] == [("ok", True)]


@pytest.mark.parametrize(
    ("connector", "app", "config", "token_path", "table"),
    [
        ("hubspot", create_hubspot, {"streams": ["owners"]}, "/oauth/v1/token", "hubspot_owners"),
        (
            "zoho_crm",
            create_zoho_crm,
            {"modules": ["Leads"]},
            "/oauth/v2/token",
            "zoho_crm_leads",
        ),
    ],
)
def test_sdk_connectors_connect_load_and_revoke_on_disconnect(
    web, admin, operator, connector, app, config, token_path, table
):
    with running(app(seed=3)) as url:
        body = {
            "connector": connector,
            "config": {"base_url": url, **config},
            "client_id": "sandbox-client-id",
            "client_secret": "sandbox-client-secret",
        }
        started = admin.post("/api/v1/admin/connections/authorize", json=body).json()
        asked = parse_qs(urlsplit(started["authorize_url"]).query)["scope"][0]
        assert all(scope.endswith((".read", ".READ")) or scope == "tickets"
                   for scope in asked.replace(",", " ").split())  # fmt: skip
        assert callback(admin, consent(started["authorize_url"])).status_code == 303
        assert ingestion.ingest(operator, "acme", connector).rows[table] > 0
        refresh = stored(operator, connector)[0]["refresh_token"]
        assert admin.post(f"/api/v1/admin/connections/{connector}/disconnect").status_code == 204
        spent = httpx.post(
            url + token_path,
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh,
                "client_id": "sandbox-client-id",
                "client_secret": "sandbox-client-secret",
            },
        )
        assert "access_token" not in spent.text  # revoked at the vendor
    disconnected = [
        e for e in audit.list_events(operator, "acme") if e.action == "connection.disconnect"
    ]
    assert [e.context["revoked"] for e in disconnected] == [True]


def test_a_wrong_or_spent_state_is_refused_and_stores_nothing(web, admin, operator, xero):
    url, _ = xero
    location = consent(start(admin, url)["authorize_url"])
    forged = location.replace("state=", "state=x")
    assert callback(admin, forged).status_code == 403
    assert admin.get("/api/v1/admin/connections").json() == []
    assert callback(admin, location).status_code == 303  # the real one still finishes
    assert callback(admin, location).status_code == 403  # once
    assert ("connection.connect", "refused") in actions(operator)


def test_someone_elses_flow_cannot_be_finished(web, admin, operator, xero):
    url, _ = xero
    location = consent(start(admin, url)["authorize_url"])
    bea = person(operator, "acme", "bea@acme.io", ["admin"])
    with client(web) as other:
        sign_in(other, bea)
        assert callback(other, location).status_code == 403
    assert admin.get("/api/v1/admin/connections").json() == []


def test_a_code_bound_to_another_pkce_verifier_is_refused(web, admin, operator, xero):
    """Code injection: a code issued to flow A, brought back with flow B's state, is redeemed
    with B's verifier, which does not match A's challenge: the vendor refuses it."""
    url, _ = xero
    first = consent(start(admin, url, "xero")["authorize_url"])
    second = consent(start(admin, url, "xero_two")["authorize_url"])
    code_of_first = parse_qs(urlsplit(first).query)["code"][0]
    state_of_second = parse_qs(urlsplit(second).query)["state"][0]
    injected = f"/oauth/callback?code={code_of_first}&state={state_of_second}"
    assert callback(admin, injected).status_code == 400
    assert admin.get("/api/v1/admin/connections").json() == []
    refused = [e for e in audit.list_events(operator, "acme") if e.action == "connection.connect"]
    assert refused[-1].outcome == "failed" and "authorization_code" in refused[-1].context["reason"]


def test_a_person_who_denies_consent_gets_no_connection(web, admin, operator, xero):
    url, _ = xero
    location = consent(start(admin, url)["authorize_url"], decision="deny")
    assert "error=access_denied" in location
    answer = callback(admin, location)
    assert answer.status_code == 403 and "did not grant access" in answer.text
    assert admin.get("/api/v1/admin/connections").json() == []


def test_only_a_connections_manager_may_connect(web, operator):
    tenants.create_tenant(operator, "acme")
    vic = person(operator, "acme", "vic@acme.io", ["viewer"])
    with client(web) as http:
        sign_in(http, vic)
        body = {"connector": "xero", "client_id": "a", "client_secret": "b", "config": {}}
        assert http.post("/api/v1/admin/connections/authorize", json=body).status_code == 403
    denied = [event for event in audit.list_events(operator, "acme") if event.outcome == "refused"]
    assert [event.actor for event in denied] == ["vic@acme.io"]
    assert "connections.manage" in denied[0].context["reason"]


def test_a_connector_without_oauth_is_refused_clearly(web, admin):
    body = {"connector": "pagerduty", "client_id": "a", "client_secret": "b", "config": {}}
    answer = admin.post("/api/v1/admin/connections/authorize", json=body)
    assert answer.status_code == 400
    assert "does not connect by OAuth" in answer.json()["detail"]


def test_an_admin_connects_xero_in_the_browser(web, ana, page: Page, xero):  # noqa: F811
    url, _ = xero
    signed_in(page, web, ana)
    page.goto(f"{web}/admin/connections")
    page.get_by_label("Tool", exact=True).select_option("xero")
    page.get_by_label("OAuth app client ID").fill("app-id")
    page.get_by_label("OAuth app client secret").fill("app-secret")
    page.get_by_label("Settings").fill(f"base_url={url}\ntenant_id=org-1")
    shot(page, "connections-connect")
    page.get_by_role("button", name="Connect").click()
    expect(page.locator("#scopes")).to_contain_text("accounting.contacts.read")
    page.get_by_role("button", name="Allow").click()
    expect(page).to_have_url(f"{web}/admin/connections?connected=xero")
    expect(page.get_by_text("Connection xero authorized")).to_be_visible()
    expect(page.get_by_role("row", name="xero")).to_contain_text("Active")
    shot(page, "connections-connected")


# ---- what an attack round found ------------------------------------------------------------


def state_of(authorize_url: str) -> str:
    return parse_qs(urlsplit(authorize_url).query)["state"][0]


def test_a_stale_reauthorization_cannot_land_in_a_connection_made_since(web, admin, operator, xero):
    url, _ = xero
    assert callback(admin, consent(start(admin, url, "books")["authorize_url"])).status_code == 303
    stale = consent(
        admin.post("/api/v1/admin/connections/books/reauthorize").json()["authorize_url"]
    )
    assert admin.delete("/api/v1/admin/connections/books").status_code == 204
    added = admin.post(
        "/api/v1/admin/connections",
        json={"connector": "pagerduty", "name": "books", "config": {"base_url": url},
              "secrets": {"api_key": "pd-key"}},
    )  # fmt: skip
    assert added.status_code == 201, added.text
    assert callback(admin, stale).status_code == 403
    kept = admin.get("/api/v1/admin/connections/books").json()
    assert kept["connector"] == "pagerduty" and set(kept["secrets"]) == {"api_key"}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"tenant_id": "org-1", "scope": "admin"}, "has no config field scope"),
        ({"tenant_id": 5}, "tenant_id"),
        ({"tenant_id": "org-1", "base_url": "javascript://%0aalert(1)//"}, "base_url"),
        ({"tenant_id": "org-1", "base_url": "http://169.254.169.254"}, "169.254.169.254"),
        ({"tenant_id": "org-1", **{f"pad_{n}": "x" * 4000 for n in range(5)}}, "too large"),
    ],
)
def test_a_config_the_connector_refuses_is_refused_before_anyone_goes_to_the_vendor(
    web, admin, operator, config, message
):
    body = {"connector": "xero", "config": config, "client_id": "a", "client_secret": "b"}
    answer = admin.post("/api/v1/admin/connections/authorize", json=body)
    assert answer.status_code == 400 and message in answer.json()["detail"]
    with operator.platform.control_plane.session() as session:
        assert session.scalar(select(func.count()).select_from(OAuthAuthorization)) == 0


@pytest.fixture
def hostile_vendor() -> Iterator[tuple[str, list[str], dict]]:
    """A token endpoint that answers as told (a redirect elsewhere, a 503), logging every hit."""
    hits: list[str] = []
    behaviour = {"token": "redirect"}

    async def token(request):
        hits.append(request.url.path)
        if behaviour["token"] == "redirect":
            return RedirectResponse("/captured", status_code=307)
        return JSONResponse({"error": "unavailable"}, status_code=503)

    async def captured(request):
        hits.append(request.url.path)
        return JSONResponse({"access_token": "stolen", "refresh_token": "stolen"})

    app = Starlette(
        routes=[
            Route("/connect/token", token, methods=["POST"]),
            Route("/captured", captured, methods=["POST"]),
        ]
    )
    with running(app) as url:
        yield url, hits, behaviour


@pytest.mark.parametrize("answer", ["redirect", "unavailable"])
def test_the_code_goes_once_to_the_token_endpoint_and_is_never_redirected(
    web, admin, hostile_vendor, answer
):
    url, hits, behaviour = hostile_vendor
    behaviour["token"] = answer
    state = state_of(start(admin, url)["authorize_url"])
    finished = callback(admin, f"/oauth/callback?code=c-1&state={state}")
    assert finished.status_code == 400 and "token endpoint" in finished.text
    assert hits == ["/connect/token"]  # once, and not to /captured
    assert admin.get("/api/v1/admin/connections").json() == []


def test_an_unreachable_token_endpoint_is_a_clear_error_not_a_crash(web, admin):
    state = state_of(start(admin, f"http://127.0.0.1:{free_port()}")["authorize_url"])
    finished = callback(admin, f"/oauth/callback?code=c-1&state={state}")
    assert finished.status_code == 400
    assert "could not reach the vendor" in finished.text and "ConnectionError" in finished.text


def test_pending_authorizations_are_capped_per_person(web, admin, xero):
    url, _ = xero
    for number in range(20):
        start(admin, url, f"xero_{number}")
    body = {"connector": "xero", "name": "xero_21", "config": {"base_url": url, "tenant_id": "o"},
            "client_id": "a", "client_secret": "b"}  # fmt: skip
    refused = admin.post("/api/v1/admin/connections/authorize", json=body)
    assert refused.status_code == 400 and "waiting for the vendor" in refused.json()["detail"]


def test_the_connected_message_names_only_a_connection_that_exists(web, admin):
    shown = admin.get("/admin/connections", params={"connected": "evil; visit evil.example"})
    assert shown.status_code == 200 and "evil.example" not in shown.text
