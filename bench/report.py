"""The one output format of every benchmark: one JSON object per line."""

import json


def emit(metric: str, value: float, target: str | None = None, **extra: object) -> None:
    """Print ``metric``'s ``value`` (and the target to reach, when there is one)."""
    line = {"metric": metric, "value": round(value, 3)}
    if target is not None:
        line["target"] = target
    print(json.dumps(line | extra), flush=True)
