"""Bodies shaped by a spec's JSON paths: records put where the record selector finds them,
pagination fields where the paginator reads them."""

from typing import Any


def _steps(path: str) -> list[str]:
    path = path.removeprefix("$").removeprefix(".")
    return [step for step in path.split(".") if step]


def _nest(path: str, value: Any) -> Any:
    for step in reversed(_steps(path)):
        value = {step: value}
    return value


def wrap(records_at: str, records: list[dict[str, Any]]) -> Any:
    """The body in which ``records_at`` (``$``, ``data``, ``a.b``, ``list[*].customer``) finds
    exactly ``records``."""
    steps = _steps(records_at)
    if not steps or steps == ["[*]"]:
        return records
    head, rest = steps[0], ".".join(steps[1:])
    if head == "[*]":  # a list of wrapped records: [{"customer": {...}}]
        return [_nest(rest, record) for record in records]
    if head.endswith("[*]"):
        return {head[:-3]: [_nest(rest, record) for record in records]}
    return {head: wrap(rest, records)} if rest else {head: records}


def place(body: Any, path: str, value: Any) -> None:
    """Set ``value`` at the dotted ``path`` of ``body``, creating objects on the way."""
    steps = _steps(path)
    node = body
    for step in steps[:-1]:
        node = node.setdefault(step, {})
    node[steps[-1]] = value
