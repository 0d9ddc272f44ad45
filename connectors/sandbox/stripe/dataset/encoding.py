"""JSON encoding of the served objects, and a guard for building many long-lived containers."""

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

try:  # orjson is much faster; both encoders give identical bytes here (UTF-8, no floats)
    import orjson

    def dumps(obj: Any) -> bytes:
        return orjson.dumps(obj)

    def frag(obj: Any) -> Any:
        """A sub-object shared by many objects, encoded once."""
        return orjson.Fragment(orjson.dumps(obj))

except ImportError:  # pragma: no cover - depends on the environment
    _encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode

    def dumps(obj: Any) -> bytes:
        return _encode(obj).encode()

    def frag(obj: Any) -> Any:
        return obj


@contextmanager
def no_gc() -> Iterator[None]:
    """Building millions of long-lived containers: the cyclic GC would only rescan them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
