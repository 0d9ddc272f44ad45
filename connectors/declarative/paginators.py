"""What dlt's link paginators lack: ending on an empty page, for APIs whose last page still
links to a next one (Sentry's ``results="false"``, Paddle's ``has_more``)."""

from typing import Any

from dlt.sources.helpers.rest_client.paginators import HeaderLinkPaginator, JSONLinkPaginator


class _EndsOnEmptyPage:
    def update_state(self, response: Any, data: list[Any] | None = None) -> None:
        super().update_state(response, data)  # type: ignore[misc]
        if not data:
            self._next_reference = None


class HeaderLinkUntilEmpty(_EndsOnEmptyPage, HeaderLinkPaginator):
    """``Link: rel="next"``, until a page holds no records."""


class JSONLinkUntilEmpty(_EndsOnEmptyPage, JSONLinkPaginator):
    """The next URL in the body, until a page holds no records."""
