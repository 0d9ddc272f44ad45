"""Attacks on HTTP connectors, as a tenant admin (who controls a connection's config) or a hostile
vendor server would make them: egress escapes, URL parser tricks, path/query/header injection,
secrets leaking, and bad input that must end in one clear line. A test that fails here is a
weakness; the passing ones are regression guards for attacks refused correctly."""

import json
from dataclasses import replace

import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from connectors.sandbox.server import running
from governance.errors import AtsparkError
from governance.platform import Platform
from services import audit, connections, tenants
from services.context import Operator, ServiceContext
from services.ingestion import ingest
from tests.app.test_cli import run
from tests.fixtures.platform import dispose

SECRET = "SEKRET-0xDEADBEEF"
PD = {"api_key": SECRET}
OAUTH = {"client_id": "cid", "client_secret": "csecret", "refresh_token": SECRET}


def recorder(answer=None):
    """An app that records each request (raw path, query, headers) and answers ``answer(req)``."""
    seen: list[dict] = []

    async def handle(request):
        raw = request.scope["raw_path"].decode()
        seen.append({"path": raw, "query": request.url.query, "headers": dict(request.headers)})
        return answer(request) if answer else JSONResponse([])

    app = Starlette(routes=[Route("/{path:path}", handle, methods=["GET", "POST"])])
    return app, seen


def sent_secret(seen: list[dict]) -> bool:
    return any(SECRET in json.dumps(request) for request in seen)


@pytest.fixture
def strict(settings, monkeypatch):
    """The operator's services where only 127.0.0.1 is an extra egress host (not localhost)."""
    monkeypatch.setenv("ATSPARK_EGRESS_ALLOWED_HOSTS", "127.0.0.1")
    platform = Platform(replace(settings, egress_allowed_hosts=("127.0.0.1",)))
    yield ServiceContext(platform, Operator("test"))
    dispose(platform)


def add(ctx, connector, config, secrets, name="c"):
    if "acme" not in [tenant.slug for tenant in tenants.list_tenants(ctx)]:
        tenants.create_tenant(ctx, "acme")
    return connections.add_connection(ctx, "acme", connector, config, secrets, name)


# base_url tricks -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://api.pagerduty.com@evil.com",
        "https://api.pagerduty.com.evil.com",
        "https://evil.com#@api.pagerduty.com",
        "https://evil.com/?@api.pagerduty.com",
        "http://0x7f.1",
        "http://2130706433",
        "http://127.1",
        "http://[::ffff:127.0.0.1]",
        "https://xn--api-pagerduty-com.evil",
        "https://\uff41\uff50\uff49.pagerduty.com",
        "http://169.254.169.254/latest",
        "http://127.0.0.1:1\\@evil.com",
    ],
)
def test_base_url_tricks_off_the_allowed_hosts_are_refused(strict, url):
    with pytest.raises(AtsparkError):
        add(strict, "pagerduty", {"base_url": url}, PD)
    assert connections.list_connections(strict, "acme") == []


@pytest.mark.parametrize(
    ("connector", "config", "secrets"),
    [
        ("pagerduty", {"base_url": "https://evil.com\\@api.pagerduty.com"}, PD),
        ("chargebee", {"site": "evil.com\\"}, PD),
        ("auth0", {"domain": "evil.com\\@acme.auth0.com"}, {"access_token": SECRET}),
    ],
)
def test_a_backslash_url_whose_real_host_is_evil_is_refused_when_added(
    strict, connector, config, secrets
):
    """urlsplit sees the host after ``\\@``; requests/urllib3 (like browsers) treat ``\\`` as a
    path separator and connect to evil.com: the add-time check must agree with the client."""
    with pytest.raises(AtsparkError):
        add(strict, connector, config, secrets)


def test_a_backslash_base_url_never_reaches_the_other_host_at_ingest(strict):
    app, seen = recorder(lambda r: JSONResponse({"teams": [], "more": False}))
    with running(app) as url:
        evil = url.replace("http://127.0.0.1", "http://localhost")
        try:
            add(strict, "pagerduty", {"base_url": f"{evil}\\@127.0.0.1", "streams": ["teams"]}, PD)
        except AtsparkError:
            return  # refused when added: better still
        with pytest.raises(AtsparkError, match="refused to send a request to 'localhost'"):
            ingest(strict, "acme", "c")
    assert seen == []


def test_a_fullwidth_number_sign_in_base_url_is_a_clear_error(settings):
    """NFKC turns U+FF03 into '#': urlsplit raises ValueError, which escapes as a traceback."""
    run("tenant", "create", "acme")
    added = run(
        "connection", "add", "acme", "pagerduty",
        "--config", "base_url=https://evil.com\uff03@api.pagerduty.com",
        "--secret", f"api_key={SECRET}",
    )  # fmt: skip
    assert added.returncode == 1
    assert "Traceback" not in added.stderr, added.stderr[-400:]
    assert added.stderr.strip().startswith("error:") and SECRET not in added.stderr


def test_a_password_in_base_url_userinfo_is_never_shown(settings):
    run("tenant", "create", "acme")
    url = f"https://user:{SECRET}@api.pagerduty.com"
    run("connection", "add", "acme", "pagerduty", "--config", f"base_url={url}",
        "--secret", "api_key=k")  # fmt: skip
    listed = run("connection", "list", "acme", "--format", "json")
    assert SECRET not in listed.stdout + listed.stderr


def test_an_empty_egress_list_refuses_loopback_even_for_older_connections(settings, monkeypatch):
    loose = Platform(settings)  # loopback allowed by default
    ctx = ServiceContext(loose, Operator("test"))
    add(ctx, "pagerduty", {"base_url": "http://127.0.0.1:9"}, PD)
    tight = ServiceContext(Platform(replace(settings, egress_allowed_hosts=())), Operator("t"))
    for url in ("http://127.0.0.1:9", "http://localhost:9", "http://[::1]:9"):
        with pytest.raises(AtsparkError, match="may not reach"):
            connections.add_connection(tight, "acme", "pagerduty", {"base_url": url}, PD, "d")
    with pytest.raises(AtsparkError, match=r"may not reach '127\.0\.0\.1'"):
        ingest(tight, "acme", "c")
    dispose(loose), dispose(tight.platform)


# Redirects and next pages to another host ---------------------------------------------------


def _redirect(to, status=302):
    return lambda request: RedirectResponse(f"{to}/steal", status_code=status)


def _json_link(to):
    return lambda request: JSONResponse({"items": [{"_id": "a"}], "_links": {"next": {"href": to}}})


def _header_link(to):
    return lambda request: JSONResponse([{"id": 1}], headers={"Link": f'<{to}/x>; rel="next"'})


def _token_redirect(to):
    def answer(request):
        if request.url.path.endswith("/oauth2/token"):
            return RedirectResponse(f"{to}/steal", status_code=307)
        return JSONResponse({"entries": []})

    return answer


ELSEWHERE = "refused to send a request to 'localhost'"


@pytest.mark.parametrize(
    ("connector", "config", "secrets", "answer", "refusal"),
    [
        ("pagerduty", {"streams": ["teams"]}, PD, _redirect, ELSEWHERE),
        ("pagerduty", {"streams": ["teams"]}, PD, lambda to: _redirect(to, 307), ELSEWHERE),
        ("launchdarkly", {"project_key": "p", "streams": ["projects"]}, PD, _json_link, ELSEWHERE),
        ("github", {"org": "o", "streams": ["members"]}, {"access_token": SECRET}, _header_link,
         ELSEWHERE),
        # a token request follows no redirect at all, to an allowed host or not
        ("box", {"streams": ["users"]}, OAUTH, _token_redirect, "redirect, which is not followed"),
    ],
)  # fmt: skip
def test_a_redirect_or_next_page_to_another_host_is_refused_before_sending(
    strict, connector, config, secrets, answer, refusal
):
    evil_app, stolen = recorder()
    with running(evil_app) as evil_url:
        evil = evil_url.replace("127.0.0.1", "localhost")  # a host the operator did not allow
        app, _ = recorder(answer(evil))
        with running(app) as url:
            add(strict, connector, {"base_url": url, **config}, secrets)
            with pytest.raises(AtsparkError, match=refusal):
                ingest(strict, "acme", "c")
    assert stolen == []


# Stripe: a Python connector, same promises -----------------------------------------------------


def test_stripe_base_url_must_be_an_allowed_host(strict):
    add(strict, "stripe", {"base_url": "https://evil.example.com"}, {"api_key": SECRET})
    with pytest.raises(AtsparkError, match=r"may not reach 'evil\.example\.com'"):
        ingest(strict, "acme", "c")


def test_stripe_never_sends_its_key_to_a_host_off_the_allow_list(strict):
    empty = {"object": "list", "data": [], "has_more": False}
    app, stolen = recorder(lambda r: JSONResponse(empty))
    with running(app) as url:
        evil = url.replace("127.0.0.1", "localhost")
        try:
            add(strict, "stripe", {"base_url": evil, "streams": ["customers"]}, {"api_key": SECRET})
            ingest(strict, "acme", "c")
        except Exception:
            pass
    assert not sent_secret(stolen), stolen[:1]
    assert stolen == []


# Injection through config values -------------------------------------------------------------


@pytest.mark.parametrize(
    ("connector", "config", "secrets"),
    [
        ("chargebee", {"site": "acme.chargebee.com/api/v2/customers/c1/delete?x="}, PD),
        ("chargebee", {"site": "acme.chargebee.com/../../admin#"}, PD),
        ("wrike", {"host": "www.wrike.com/admin?"}, {"access_token": SECRET}),
        ("recruitee", {"company_id": "../../admin?x="}, PD),
        ("basecamp", {"account_id": "../evil?x="}, OAUTH),
        ("freshbooks", {"account_id": "../../../x"}, OAUTH),
        ("salesforce", {"instance": "acme.my.salesforce.com/evil?"}, OAUTH),
    ],
)
def test_a_base_url_field_cannot_inject_a_path_or_query(strict, connector, config, secrets):
    """``{site}``/``{account_id}`` are filled into the spec's base_url without quoting or a
    pattern: the host stays the vendor's, but the path and query become the attacker's."""
    with pytest.raises(AtsparkError):
        add(strict, connector, config, secrets)


@pytest.mark.parametrize(
    "site", ["evil.com/x?", "evil.com#", "evil.com:443/", "evil.com?.chargebee.com"]
)
def test_a_base_url_field_cannot_move_the_host(strict, site):
    with pytest.raises(AtsparkError, match=r"may not reach|takes letters, digits"):
        add(strict, "chargebee", {"site": site}, PD)


def _github_paths(strict, org: str) -> list[str]:
    app, seen = recorder()
    with running(app) as url:
        add(strict, "github", {"base_url": url, "org": org, "streams": ["members"]},
            {"access_token": SECRET})  # fmt: skip
        ingest(strict, "acme", "c")
    return [request["path"] for request in seen]


@pytest.mark.parametrize("org", ["../../admin", "%2e%2e", "x/y", "x?admin=1#"])
def test_a_path_field_stays_one_segment(strict, org):
    paths = _github_paths(strict, org)
    assert paths and all(p.startswith("/orgs/") and p.endswith("/members") for p in paths), paths
    assert all(p.count("/") == 3 for p in paths), paths


def test_a_path_field_of_dot_dot_cannot_climb_out_of_its_endpoint(strict):
    """``..`` survives quote(safe=''), and requests/urllib3 collapse the dot segment:
    /orgs/{org}/members becomes /members."""
    try:
        paths = _github_paths(strict, "..")
    except AtsparkError:
        return  # refused: fine
    assert all(p.startswith("/orgs/") for p in paths), paths


def test_a_parent_id_from_the_vendor_cannot_climb_out_of_its_endpoint(strict):
    """A child stream's path takes the parent's id unquoted: a record whose id is
    ``../../admin`` (any user of the SaaS may name things) redirects the tenant's credentials."""

    def answer(request):
        if request.url.path == "/workspaces":
            return JSONResponse({"data": [{"gid": "../../admin", "name": "w"}]})
        return JSONResponse({"data": []})

    app, seen = recorder(answer)
    with running(app) as url:
        add(strict, "asana", {"base_url": url, "streams": ["workspaces", "projects"]},
            {"access_token": SECRET})  # fmt: skip
        try:
            ingest(strict, "acme", "c")
        except AtsparkError:
            pass
    assert all(request["path"].startswith("/workspaces") for request in seen), seen


@pytest.mark.parametrize(
    ("connector", "config", "secrets"),
    [
        ("harvest", {"account_id": "1\r\nX-Evil: 1"}, {"access_token": SECRET}),
        ("churnkey", {"app_id": "a\nX-Evil: 1"}, PD),
        ("pagerduty", {}, {"api_key": f"{SECRET}\r\nX-Evil: 1"}),
    ],
)
def test_crlf_in_a_header_value_is_refused_without_echoing_it(strict, connector, config, secrets):
    with pytest.raises(AtsparkError, match="control character") as caught:
        add(strict, connector, config, secrets)
    assert SECRET not in str(caught.value) and "X-Evil" not in str(caught.value)


# Clear errors, no secrets ----------------------------------------------------------------------


def _cli_ingest(answer, secret=SECRET, connector="pagerduty", **config):
    app, seen = recorder(answer)
    run("tenant", "create", "acme")
    with running(app) as url:
        options = [f"--config=base_url={url}", "--config=streams=teams"]
        options += [f"--config={key}={value}" for key, value in config.items()]
        added = run("connection", "add", "acme", connector, *options, f"--secret=api_key={secret}")
        result = run("ingest", "acme", connector) if added.returncode == 0 else added
    return result, seen


def _one_clear_line(result) -> None:
    assert result.returncode == 1
    assert "Traceback" not in result.stderr, result.stderr[-600:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr[-600:]
    assert SECRET not in result.stdout + result.stderr


@pytest.mark.parametrize(
    "answer",
    [
        lambda r: Response(f"<html>login page {r.headers.get('authorization')}</html>"),
        lambda r: RedirectResponse(str(r.url), status_code=302),  # a redirect loop
    ],
    ids=["html", "redirect-loop"],
)
def test_a_broken_vendor_answer_is_one_clear_line_and_audited(settings, answer):
    result, _ = _cli_ingest(answer)
    _one_clear_line(result)
    events = json.loads(run("audit", "list", "acme", "--format", "json").stdout)
    assert [e["outcome"] for e in events if e["action"] == "ingest"] == ["failed"]


def test_a_key_outside_latin1_is_refused_or_one_clear_line(settings):
    """A header value http.client cannot encode: accepted when added, a traceback at ingest."""
    result, _ = _cli_ingest(lambda r: JSONResponse({"teams": [], "more": False}), f"{SECRET}\u2603")
    _one_clear_line(result)


@pytest.mark.parametrize("status", [400, 401, 403])
def test_an_error_body_echoing_the_key_does_not_leak_it(strict, status):
    def answer(request):
        return JSONResponse({"error": f"bad {request.headers.get('authorization')}"}, status)

    app, seen = recorder(answer)
    with running(app) as url:
        add(strict, "pagerduty", {"base_url": url, "streams": ["teams"]}, PD)
        with pytest.raises(AtsparkError, match=f"HTTP {status} on /teams") as caught:
            ingest(strict, "acme", "c")
    assert sent_secret(seen)  # it was really used, and echoed back
    assert SECRET not in str(caught.value)
    events = audit.list_events(strict, "acme")
    assert [e.outcome for e in events if e.action == "ingest"] == ["failed"]
    assert SECRET not in repr(events)


def test_secrets_never_show_in_listings_audit_or_when_given_as_config(settings):
    run("tenant", "create", "acme")
    as_config = run("connection", "add", "acme", "pagerduty", "--config", f"api_key={SECRET}")
    assert as_config.returncode == 1 and SECRET not in as_config.stderr + as_config.stdout
    added = run("connection", "add", "acme", "box", "--config", "base_url=http://127.0.0.1:9",
                *[f"--secret={key}={value}" for key, value in OAUTH.items()])  # fmt: skip
    assert added.returncode == 0, added.stderr
    listed = run("connection", "list", "acme", "--format", "json")
    assert json.loads(listed.stdout)[0]["secrets"] == {key: "********" for key in OAUTH}
    audit_trail = run("audit", "list", "acme", "--format", "json").stdout
    assert SECRET not in listed.stdout + audit_trail and "csecret" not in audit_trail
