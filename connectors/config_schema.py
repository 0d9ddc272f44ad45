"""A connection's fields as JSON Schema: building, typing what people type, and checking.

A connector declares its connection's fields as one JSON Schema object. Secret fields carry
``writeOnly: true``: they are given as secrets (``--secret``), stored encrypted and never shown;
the others are config (``--config``). Secrets are text; config values take the schema's types.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from governance.errors import AtsparkError

BASE_URL = {
    "type": "string",
    "pattern": r"^https?://([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])"
    r"(:[0-9]{1,5})?(/[A-Za-z0-9._~!$&'()*+,;=:%/-]*)?$",
    "description": "API base URL, for sandboxes, regional endpoints and proxies",
    "errorMessage": "needs a base_url like https://host[:port]",
}
"""The ``base_url`` field every HTTP connector has. ``errorMessage`` (as in ajv-errors) is what a
person is told when a value does not fit a field."""


START_DATE = {
    "type": "string",
    "pattern": r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$",
    "description": "Earliest change to load on the first run of incremental streams "
    "(ISO 8601 date or date-time, UTC unless given)",
}


def streams_field(names: Iterable[str]) -> dict[str, Any]:
    """The ``streams`` field: which of ``names`` a connection loads (default: all)."""
    return {
        "type": "array",
        "items": {"enum": list(names)},
        "uniqueItems": True,
        "minItems": 1,
        "description": "Streams to ingest (default: all)",
    }


def object_schema(properties: Mapping[str, Any], required: Iterable[str] = ()) -> dict[str, Any]:
    """A closed JSON Schema object of ``properties``."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": dict(properties),
        "additionalProperties": False,
    }
    if required := sorted(set(required)):
        schema["required"] = required
    return schema


def secret(description: str) -> dict[str, Any]:
    """A secret text field."""
    return {"type": "string", "minLength": 1, "writeOnly": True, "description": description}


def secret_fields(schema: Mapping[str, Any]) -> set[str]:
    return {name for name, field in _properties(schema).items() if field.get("writeOnly")}


def coerce(schema: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """``given`` with text values turned into the types their fields declare.

    ``5`` for an integer field, ``true``/``false`` for a boolean, ``a,b`` for an array of text.
    Values already typed, and unknown fields (refused later by :func:`check`), are kept.
    """
    properties = _properties(schema)
    return {
        key: _coerced(key, value, properties[key]) if key in properties else value
        for key, value in given.items()
    }


def _coerced(key: str, value: Any, field: Mapping[str, Any]) -> Any:
    kind = field.get("type")
    if not isinstance(value, str) or kind in (None, "string"):
        return value
    text = value.strip()
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
    except ValueError:
        raise AtsparkError(f"field {key!r} takes a {kind}, not {value!r}") from None
    if kind == "boolean":
        if text.lower() in ("true", "yes", "1"):
            return True
        if text.lower() in ("false", "no", "0"):
            return False
        raise AtsparkError(f"field {key!r} takes true or false, not {value!r}")
    if kind == "array":
        return [part.strip() for part in text.split(",") if part.strip()]
    return value


def with_defaults(schema: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` with the schema's default for each config field it leaves out (not
    ``base_url``: a connection without one talks to the vendor itself)."""
    defaults = {
        name: field["default"]
        for name, field in _properties(schema).items()
        if "default" in field and not field.get("writeOnly") and name != "base_url"
    }
    return {**defaults, **config}


def check(
    schema: Mapping[str, Any],
    config: Mapping[str, Any],
    secrets: Mapping[str, str],
    connector: str,
) -> None:
    """Refuse config or secrets the schema refuses; messages never repeat a secret's value."""
    import jsonschema

    secret_names = secret_fields(schema)
    known = set(_properties(schema))
    for kind, given, allowed in (
        ("config", config, known - secret_names),
        ("secret", secrets, secret_names),
    ):
        unknown = sorted(set(given) - known)
        if unknown:
            listed = ", ".join(sorted(allowed)) or "none"
            raise AtsparkError(
                f"connector {connector!r} has no {kind} field {', '.join(unknown)} "
                f"(allowed: {listed})"
            )
    for name in sorted(set(config) & secret_names):
        raise AtsparkError(f"{name!r} of connector {connector!r} is a secret: give it as a secret")
    for name in sorted(set(secrets) - secret_names):
        raise AtsparkError(
            f"{name!r} of connector {connector!r} is not a secret: give it as config"
        )
    validator = jsonschema.Draft202012Validator(schema)
    given = {**with_defaults(schema, config), **secrets}
    errors = sorted(validator.iter_errors(given), key=lambda e: list(e.path))
    if errors:
        described = _describe(errors[0], secret_names, _properties(schema))
        separator = " " if described.startswith("needs") else ": "
        raise AtsparkError(f"connector {connector!r}{separator}{described}")


def _describe(error: Any, secret_names: set[str], properties: Mapping[str, Any]) -> str:
    field = str(error.path[0]) if error.path else None
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        kinds = {"secret" if name in secret_names else "config" for name in missing}
        return f"needs {' or '.join(sorted(kinds))} {', '.join(missing)}"
    if field in secret_names:
        return f"secret {field!r} is not valid ({error.validator})"
    if field is not None and (message := properties.get(field, {}).get("errorMessage")):
        return f"{message}, not {error.instance!r}"
    if field is not None:
        return f"field {field!r}: {error.message}"
    return error.message


def _properties(schema: Mapping[str, Any]) -> Mapping[str, Mapping[str, Any]]:
    return schema.get("properties", {})
