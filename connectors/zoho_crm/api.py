"""Zoho CRM's REST API v8 over the guarded session: a module's fields, then its records.

A v8 records request must name its fields, at most 50. A module with more is read in several
requests merged by record id: each page comes with the first 50 fields (the cursor among them),
and the rest are asked for those pages' ids (``ids``, 100 at a time), so every part describes the
same records. Pages: ``page`` reaches only the first 2,000 records, so the connector follows
``info.next_page_token`` whenever Zoho gives one (and ``page`` otherwise). ``If-Modified-Since``
asks only for what changed since the cursor; Zoho answers 304 when nothing did and 204 for an
empty module.

Errors: 429 (``Retry-After`` honoured), 5xx and connection resets are retried by the session
(dlt's); what still fails, and any other 4xx, stops the run with one line of ours naming the
status, Zoho's error code and the path (never the query, a token or Zoho's message).
"""

import re
from collections.abc import Iterator, Mapping
from typing import Any

from connectors.zoho_crm.vendor import API_PATH
from governance.errors import AtsparkError

PER_PAGE = 200
MAX_FIELDS = 50
MAX_IDS = 100
TITLE = "Zoho CRM"
_ERROR_CODE = re.compile(r"[A-Z][A-Z0-9_]{1,59}")
_NOTHING = (204, 304)


class ZohoApi:
    """One connection's requests: the session (retries, egress), where they go, and how they
    authenticate (a requests authenticator sending ``Zoho-oauthtoken <token>``)."""

    def __init__(self, session: Any, base_url: str, auth: Any) -> None:
        self._session = session
        self._base_url = base_url
        self._auth = auth

    def fields(self, module: str) -> list[dict[str, Any]]:
        """The module's fields metadata (``GET /settings/fields?module=``)."""
        body = self._get(f"{API_PATH}/settings/fields", {"module": module})
        return list((body or {}).get("fields") or [])

    def records(
        self, module: str, names: list[str], since: str | None
    ) -> Iterator[list[dict[str, Any]]]:
        """The module's records with the fields ``names`` (the cursor first), a page at a time,
        oldest id first, only those modified after ``since`` when it is given."""
        first, *rest = [names[at : at + MAX_FIELDS] for at in range(0, len(names), MAX_FIELDS)]
        path = f"{API_PATH}/{module}"
        query: dict[str, Any] = {
            "fields": ",".join(first),
            "per_page": PER_PAGE,
            "sort_by": "id",
            "sort_order": "asc",
        }
        headers = {"If-Modified-Since": since} if since else {}
        page, token = 1, None
        while True:
            paging = {"page_token": token} if token else {"page": page}
            body = self._get(path, {**query, **paging}, headers)
            if body is None:
                return
            records = list(body.get("data") or [])
            for names_part in rest:
                self._complete(path, records, names_part)
            yield records
            info = body.get("info") or {}
            if not records or not info.get("more_records"):
                return
            page, token = page + 1, info.get("next_page_token")

    def _complete(self, path: str, records: list[dict[str, Any]], names: list[str]) -> None:
        """Add the fields ``names`` to ``records``, asked for by their ids. A record deleted
        in between keeps only the fields it had."""
        by_id = {record["id"]: record for record in records}
        ids = list(by_id)
        for at in range(0, len(ids), MAX_IDS):
            query = {"ids": ",".join(ids[at : at + MAX_IDS]), "fields": ",".join(names)}
            for more in (self._get(path, query) or {}).get("data") or []:
                if more.get("id") in by_id:
                    by_id[more["id"]].update(more)

    def _get(
        self, path: str, query: Mapping[str, Any], headers: Mapping[str, str] | None = None
    ) -> dict[str, Any] | None:
        """Zoho's JSON answer, or None when it has nothing (204, 304)."""
        response = self._session.get(
            self._base_url + path, params=query, headers=headers or {}, auth=self._auth
        )
        status = response.status_code
        if status in _NOTHING:
            return None
        if status != 200:
            raise _refusal(status, _error_code(response), path)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise AtsparkError(
                f"{TITLE} answered {path} with a body that is not its JSON (HTTP {status}): "
                "check the connection's base_url"
            )
        return body


def _error_code(response: Any) -> str | None:
    """Zoho's error ``code`` (``INVALID_TOKEN``, ``TOO_MANY_REQUESTS``...) when the body has one
    of that shape: an identifier, never free text."""
    try:
        code = response.json().get("code")
    except (ValueError, AttributeError):
        return None
    return code if isinstance(code, str) and _ERROR_CODE.fullmatch(code) else None


def _refusal(status: int, code: str | None, path: str) -> AtsparkError:
    where = f"HTTP {status}{f' {code}' if code else ''} on {path}"
    if status in (401, 403):
        return AtsparkError(
            f"{TITLE} refused the connection's credentials ({where}): check the secrets or "
            "re-authorize the connection"
        )
    if status == 429 or status >= 500:
        return AtsparkError(f"{TITLE} still answered {where} after retrying")
    return AtsparkError(f"{TITLE} answered {where}")
