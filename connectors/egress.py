"""Where HTTP connectors may send requests, and the session declarative ones send them through.

Every request, redirects included, goes only to a host the spec's ``allowed_hosts`` names (or the
operator's ``ATSPARK_EGRESS_ALLOWED_HOSTS``): a next-page URL or a redirect pointing elsewhere is
refused before anything is sent. Retries (429 with ``Retry-After``, 5xx, timeouts, connection
resets) are dlt's own, from ``dlt.sources.helpers.requests``.
"""

import re
import threading
import time
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from governance.errors import AtsparkError

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HEADER_SAFE = re.compile(r"[\x20-\x7e]*")
RETRIED_CLIENT_ERRORS = frozenset({408, 429})


def host_allowed(host: str, patterns: Iterable[str]) -> bool:
    """Whether ``host`` is one of ``patterns``: exact names, or ``*.suffix`` for subdomains."""
    host = host.lower().rstrip(".")
    for pattern in patterns:
        pattern = pattern.lower()
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                return True
        elif host == pattern:
            return True
    return False


def hosts_of(url: str) -> set[str]:
    """The host of ``url`` as ``requests`` (urllib3) reads it and as the standard library does:
    one host, unless a trick makes the two parsers disagree. ValueError if either cannot."""
    from urllib3.util import parse_url

    return {urlsplit(url).hostname or "", (parse_url(url).host or "").strip("[]").lower()}


def check_base_url(url: str, hosts: Iterable[str], connector: str) -> None:
    """Refuse a base URL unless every reading of its host is one of ``hosts``."""
    try:
        seen = hosts_of(url)
    except ValueError:
        raise AtsparkError(
            f"connector {connector!r} needs a base_url like https://host[:port]"
        ) from None
    hosts = tuple(hosts)
    for host in seen:
        if not host_allowed(host, hosts):
            raise AtsparkError(
                f"connector {connector!r} may not reach {host!r}: its allowed hosts are "
                f"{', '.join(hosts) or 'none (an operator allows them)'}"
            )


def check_http_values(
    connector: str, config: Mapping[str, Any], secrets: Mapping[str, str]
) -> None:
    """Values that go into URLs and headers: no control characters anywhere, and secrets (sent
    in headers) in printable ASCII. Messages name the field, never the value."""
    for kind, values in (("config", config), ("secret", secrets)):
        for name, value in values.items():
            texts = [str(item) for item in value] if isinstance(value, list) else [str(value)]
            if any(_CONTROL.search(text) for text in texts):
                raise AtsparkError(f"{kind} {name!r} holds a control character")
            if kind == "secret" and not all(_HEADER_SAFE.fullmatch(text) for text in texts):
                raise AtsparkError(
                    f"secret {name!r} of connector {connector!r} must be printable ASCII"
                )


class Egress:
    """What one connection may reach, and how fast."""

    def __init__(self, title: str, hosts: Iterable[str], requests_per_second: float | None) -> None:
        self.title = title
        self.hosts = tuple(hosts)
        self._interval = 1.0 / requests_per_second if requests_per_second else 0.0
        self._next_slot = 0.0
        self._lock = threading.Lock()

    def check(self, url: str) -> None:
        try:
            seen = hosts_of(url) if urlsplit(url).scheme in ("http", "https") else {""}
        except ValueError:
            seen = {""}
        if "" in seen:
            raise AtsparkError(f"{self.title}: refused to request a URL that is not http(s)")
        for host in seen:
            if not host_allowed(host, self.hosts):
                raise AtsparkError(
                    f"{self.title}: refused to send a request to {host!r}, which is not an "
                    f"allowed host of this connector ({', '.join(self.hosts)})"
                )

    def wait_turn(self) -> None:
        """Space requests ``1 / requests_per_second`` apart, across threads."""
        if not self._interval:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self._interval
        if slot > now:
            time.sleep(slot - now)


def guarded_session(egress: Egress, retry: Any, stop_on_client_errors: bool = True) -> Any:
    """A dlt retrying session (``retry``: the spec's) whose every send is checked against
    ``egress`` first; with ``stop_on_client_errors`` a 4xx ends the run with a clear message."""
    from dlt.sources.helpers.requests import Client

    client = Client(
        request_timeout=retry.timeout,
        request_max_attempts=retry.max_attempts,
        request_backoff_factor=retry.backoff_factor,
        request_max_retry_delay=retry.max_delay,
        raise_for_status=False,
        session_attrs={"trust_env": False},
    )
    session = client.session
    retrying_send = session.send
    refuse = _refuse_client_errors(egress.title) if stop_on_client_errors else None

    def send(request: Any, **kwargs: Any) -> Any:
        from requests import HTTPError

        egress.check(request.url)
        egress.wait_turn()
        try:
            response = retrying_send(request, **kwargs)
        except HTTPError as failure:  # dlt's own hook raised it: ours speaks first
            if refuse is not None and failure.response is not None:
                refuse(failure.response)
            raise
        if refuse is not None:
            refuse(response)
        response.json = partial(_parse_json, response)  # orjson: a third of the time of json
        return response

    session.send = send  # type: ignore[method-assign]
    return session


def _parse_json(response: Any, **_: Any) -> Any:
    import orjson

    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError as error:
        from requests.exceptions import JSONDecodeError

        raise JSONDecodeError(str(error), response.text, 0) from None


def _refuse_client_errors(title: str):
    """A check of each final response: a 4xx that asking again will not change stops the run,
    with a message naming the status and path (never the query, which may carry a key)."""

    def check(response: Any) -> Any:
        status = response.status_code
        if not 400 <= status < 500 or status in RETRIED_CLIENT_ERRORS:
            return response  # 5xx and 429 are retried, then reported by dlt
        path = urlsplit(response.url).path
        if status in (401, 403):
            raise AtsparkError(
                f"{title} refused the connection's credentials (HTTP {status} on {path}): "
                "check the secrets or re-authorize the connection"
            )
        raise AtsparkError(f"{title} answered HTTP {status} on {path}")

    return check
