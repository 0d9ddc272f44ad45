"""QuickBooks Online through the ``python-quickbooks`` SDK, on our HTTP session and tokens.

The SDK's ``QuickBooks`` client builds the requests (the query statement POSTed as
``application/text``, ``minorversion`` on every request) and raises ``quickbooks.exceptions``
from Intuit's ``Fault`` bodies. Its own session (``requests_oauthlib`` behind intuit-oauth's
``AuthClient``) is not used: it refreshes tokens itself, refuses plain-HTTP servers and looks up
Intuit's discovery document on start. It is handed instead a session that sends through the
connection's guarded, retrying session (``connectors/egress.py``) with the access token
:class:`~connectors.oauth.OAuthTokens` keeps renewed, so a rotated refresh token is stored the
moment Intuit issues it.
"""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from connectors.oauth import OAuthTokens
from governance.errors import AtsparkError

BEARER = "Bearer "


class _SdkSession:
    """What the SDK asks of its session: an ``access_token`` it reads before every request, and
    ``request``. An answer of 401 renews the token and asks once more. Remembers the status and
    path of the last answer, for error messages."""

    def __init__(self, session: Any, tokens: OAuthTokens) -> None:
        self._session = session
        self._tokens = tokens
        self.last: tuple[int, str] | None = None

    @property
    def access_token(self) -> str:
        return self._tokens.access_token()

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        self.last = None
        response = self._session.request(method, url, **kwargs)
        sent = kwargs.get("headers", {}).get("Authorization", "")
        if response.status_code == 401 and sent.startswith(BEARER):
            token = self._tokens.renewed(sent.removeprefix(BEARER))
            kwargs["headers"] = {**kwargs["headers"], "Authorization": BEARER + token}
            response = self._session.request(method, url, **kwargs)
        self.last = (response.status_code, urlsplit(response.url).path)
        return response


class QuickBooksApi:
    """One company's Accounting API, for one stream's reads."""

    def __init__(
        self,
        base_url: str,
        realm_id: str,
        minor_version: int,
        session: Any,
        tokens: OAuthTokens,
    ) -> None:
        from quickbooks import QuickBooks

        self._session = _SdkSession(session, tokens)
        self._client = QuickBooks(company_id=realm_id, minorversion=minor_version)
        self._client.api_url_v3 = f"{base_url}/v3"
        self._client.session = self._session

    def query(self, entity: str, statement: str) -> list[dict[str, Any]]:
        """The entities one query statement selects (one page)."""
        body = self._answer(lambda: self._client.query(statement), "QueryResponse")
        return body["QueryResponse"].get(entity, [])

    def changes(self, entity: str, since: str) -> list[dict[str, Any]]:
        """What change data capture reports of ``entity`` since ``since``: entities as they are
        now, and ``{"Id", "status": "Deleted", "MetaData"}`` for those deleted."""
        body = self._answer(lambda: self._client.change_data_capture(entity, since), "CDCResponse")
        return [
            record
            for captured in body["CDCResponse"]
            for response in captured.get("QueryResponse", [])
            for record in response.get(entity, [])
        ]

    def _answer(self, call: Callable[[], Any], envelope: str) -> dict[str, Any]:
        """The SDK's answer; its exceptions (which quote Intuit's body) as one line of ours."""
        from quickbooks.exceptions import QuickbooksException

        try:
            body = call()
        except QuickbooksException as error:
            raise self._failure(error) from None
        if not isinstance(body, dict) or envelope not in body:
            raise AtsparkError(
                f"QuickBooks answered {self._where()} without a {envelope}: check the "
                "connection's base_url"
            )
        return body

    def _where(self) -> str:
        return self._session.last[1] if self._session.last else "a request"

    def _failure(self, error: Any) -> AtsparkError:
        from quickbooks.exceptions import AuthorizationException

        status = self._session.last[0] if self._session.last else None
        where = self._where()
        if status in (401, 403) or isinstance(error, AuthorizationException):
            return AtsparkError(
                f"QuickBooks refused the connection's credentials (HTTP {status} on {where}): "
                "authorize the connection again"
            )
        if error.error_code == 10000 and str(error.message).startswith("Error reading json"):
            return AtsparkError(
                f"QuickBooks answered {where} with a body that is not JSON (HTTP {status}): "
                "check the connection's base_url"
            )
        return AtsparkError(
            f"QuickBooks answered HTTP {status} on {where} "
            f"({type(error).__name__}, error {error.error_code})"
        )
