"""Lists embedded in objects (an invoice's lines, a charge's refunds...)."""

from typing import Any


def embedded_list(data: list[dict[str, Any]], url: str) -> dict[str, Any]:
    """A complete list (``has_more`` is false) of ``data``, served in full at ``url``."""
    return {
        "object": "list",
        "data": data,
        "has_more": False,
        "total_count": len(data),
        "url": url,
    }
