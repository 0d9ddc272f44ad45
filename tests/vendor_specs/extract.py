"""Regenerate the vendor API data carried in ``tests/vendor_specs`` from the vendors' own API
descriptions (``<repo>/../shared/vendor-specs`` unless another folder is given):

    .venv/bin/python -m tests.vendor_specs.extract [SPECS_DIR]

A developer tool: tests read only its output. Stripe's description is MIT, so the part the Stripe
sandbox tests validate against is copied as it is (``stripe/spec3-extract.json``, with the
licence). Of every other description only distilled facts are kept (``<vendor>/facts.json``:
operations, their parameters, record selectors and record fields with JSON types), never its
text; those of MIT- or Apache-licensed descriptions come with the licence. A large description
gives only the operations on the paths its catalog connectors read.
"""

import json
import re
import shutil
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml

from connectors.declarative.loading import load_spec
from connectors.sandbox.stripe.dataset import RESOURCES as STRIPE_RESOURCES

HERE = Path(__file__).resolve().parent
DEFAULT_SPECS_DIR = HERE.parents[1].parent / "shared" / "vendor-specs"
COMMAND = ".venv/bin/python -m tests.vendor_specs.extract"
STRIPE_SOURCE = "stripe/spec3-2023-08-16.yaml"
CATALOG = HERE.parents[1] / "connectors" / "catalog"


@dataclass(frozen=True)
class Source:
    """One vendor's description: its files in the shared folder (as its README names them), the
    catalog connectors built on it, and whether facts are kept of every GET operation (``all``)
    or only of the operations on the paths those connectors read (``catalog``: large ones)."""

    files: str
    connectors: tuple[str, ...] = ()
    scope: Literal["all", "catalog"] = "all"
    licence: str | None = None  # the licence file shipped with it, copied along
    searches: bool = False  # also its POST .../search operations (reads by query), as `searches`


# vendor folder in tests/vendor_specs -> its description
FACT_SOURCES = {
    "hubspot": Source("hubspot/*.json", searches=True),
    "zoho-crm": Source("zoho-crm/*.json"),
    "pagerduty": Source("pagerduty/openapiv3.json", ("pagerduty",)),
    "front": Source("front/core-api.json", ("front",)),
    "asana": Source("asana/asana_oas.yaml", ("asana",)),
    "box": Source("box/openapi.json", ("box",), "catalog", "box/LICENSE"),
    "chargebee": Source(
        "chargebee/chargebee_api_v1_spec.json", ("chargebee",), "catalog", "chargebee/LICENSE"
    ),
    "intercom": Source(
        "intercom/api.intercom.io.yaml", ("intercom",), "catalog", "intercom/LICENSE"
    ),
    "klaviyo": Source("klaviyo/stable.json", ("klaviyo",), "catalog", "klaviyo/LICENSE"),
    "paypal": Source(
        "paypal/reporting_transactions_v1.json",
        ("paypal_transaction",),
        "catalog",
        "paypal/LICENSE",
    ),
    "sendgrid": Source("sendgrid/oai.json", ("sendgrid",), "catalog", "sendgrid/LICENSE"),
    "slack": Source("slack/slack_web_openapi_v2.json", ("slack",), "catalog", "slack/LICENSE"),
    "square": Source("square/api.json", ("square",), "catalog", "square/LICENSE"),
    "twilio": Source("twilio/twilio_api_v2010.json", ("twilio",), "catalog", "twilio/LICENSE"),
    "xero": Source("xero/xero_accounting.yaml", ("xero",), "catalog", "xero/LICENSE"),
}
FACTS_NOTE = "distilled facts only; the description's text is not included"
COMMON_SELECTORS = ("results", "data", "_results", "items", "records")
RECORD_KEYS = ("id", "gid", "uid", "name")  # a body with one of these is itself a record
NOT_RECORDS = ("errors", "warnings", "Warnings")


# ---- reading descriptions ----------------------------------------------------------------------


def load_document(path: Path) -> Any:
    if path.suffix in (".yaml", ".yml"):
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        with path.open("rb") as handle:
            return yaml.load(handle, Loader=loader)
    return json.loads(path.read_text(encoding="utf-8"))


def provenance(specs_dir: Path, source: str) -> dict[str, str]:
    """The shared README's table row for ``source`` (its first cell), as a dict."""
    for line in (specs_dir / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] == source:
            repository, _, path = cells[1].partition(" ")
            return {
                "source": source,
                "vendor_repository": repository,
                "path": path,
                "api_version": cells[2],
                "licence": cells[3],
            }
    raise LookupError(f"{source} is not described in {specs_dir / 'README.md'}")


def pointer_get(document: Any, pointer: str) -> Any:
    node = document
    for part in pointer.lstrip("/").split("/") if pointer.strip("/") else ():
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


class Documents:
    """One vendor's description files by name; follows ``$ref`` within a file and across files
    (a reference's file part, even a URL, names a sibling file)."""

    def __init__(self, paths: Iterable[Path]) -> None:
        self.by_name = {path.name: load_document(path) for path in paths}
        self.dangling: set[str] = set()  # "file: $ref" of references to nothing

    def resolve(self, node: Any, doc: str) -> tuple[Any, str]:
        """The node a ``$ref`` (chain) leads to, and its file; ``{}`` for a dangling one."""
        for _ in range(50):
            if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
                return node, doc
            ref = node["$ref"]
            target, _, pointer = ref.partition("#")
            target = target.rsplit("/", 1)[-1] if target else doc
            try:
                node, doc = pointer_get(self.by_name[target], pointer), target
            except (KeyError, IndexError, ValueError):
                self.dangling.add(f"{doc}: {ref}")
                return {}, doc
        raise ValueError(f"$ref chain too long in {doc}")


# ---- the Stripe extract --------------------------------------------------------------------------


def refs(node: Any) -> Iterator[str]:
    """Every ``$ref`` under ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def ref_closure(spec: dict[str, Any], roots: Iterable[Any]) -> set[str]:
    """The local ``$ref``s reachable from ``roots``, transitively."""
    seen: set[str] = set()
    todo = [ref for root in roots for ref in refs(root)]
    while todo:
        ref = todo.pop()
        if ref in seen:
            continue
        if not ref.startswith("#/"):
            raise ValueError(f"non-local $ref {ref}")
        seen.add(ref)
        todo.extend(refs(pointer_get(spec, ref[1:])))
    return seen


def stripe_paths(spec: dict[str, Any]) -> list[str]:
    """The list path ``/v1/<resource>`` of each sandbox resource and its retrieve path
    ``/v1/<resource>/{<param>}`` (the one GET path with a single path parameter after it)."""
    paths = []
    for resource in STRIPE_RESOURCES:
        retrieve = [
            path
            for path, item in spec["paths"].items()
            if re.fullmatch(rf"/v1/{resource}/\{{[^/}}]+\}}", path) and "get" in item
        ]
        if len(retrieve) != 1 or "get" not in spec["paths"].get(f"/v1/{resource}", {}):
            raise LookupError(f"no single list and retrieve path for {resource}: {retrieve}")
        paths += [f"/v1/{resource}", retrieve[0]]
    return paths


def stripe_extract(specs_dir: Path) -> dict[str, Any]:
    spec = load_document(specs_dir / STRIPE_SOURCE)
    paths = {path: {"get": spec["paths"][path]["get"]} for path in stripe_paths(spec)}
    closure = ref_closure(spec, [paths, {"$ref": "#/components/schemas/error"}])
    components: dict[str, dict[str, Any]] = {}
    for kind, entries in spec["components"].items():
        kept = {name: v for name, v in entries.items() if f"#/components/{kind}/{name}" in closure}
        if kept:
            components[kind] = kept
    return {
        "openapi": spec["openapi"],
        "info": spec["info"],
        "x-atspark-extract": {
            **provenance(specs_dir, STRIPE_SOURCE),
            "contents": "the GET operations of the sandbox's list and retrieve paths, the error "
            "schema, and every component they reach by $ref; otherwise unchanged",
            "regenerate": COMMAND,
        },
        "servers": spec.get("servers", []),
        "paths": paths,
        "components": components,
    }


# ---- distilled facts ---------------------------------------------------------------------------

FACTS_FORMAT = """\
`provenance` names the description (the shared README's row), its `files`, its servers'
`base_path` (the path part of the server URL, or Swagger 2's `basePath`: what comes before each
operation's path), which `operations` are kept (every GET operation, or for a large description
those on the paths its catalog `connectors` read) and, for an MIT- or Apache-licensed one, the
`licence_file` next to it. `operations` are sorted by path: `method`, `path`, `source` (the file
it came from), `parameters` (`name`, `in`, `type`, `format`, `items` for arrays, `required`) and
`response`, taken from the 200 (else the first 2xx) JSON body: `null` when there is none;
`{status, body: {type, format}}` when the body is neither an object nor an array of objects (a
file download); otherwise `status`, `record_selector` (where the records are, chosen from the
schema: the body's property holding them, or `list[*].customer` when each item of that array
wraps the record with related objects; `$` when the body is the array of records, `null` when
it is itself the record), `record_type` (`array` or `object`), `items`, `envelope` (the body's
other fields, e.g. pagination; an object's own `fields` two levels down), `fields` (the
record's fields) and `additional_fields: true` when records may carry fields the description
does not declare. A field is `name` with `type` (a list when several; nested objects are
`object`, arrays `array` with the `items` type), `format`, `nullable` and `required` (only when
true). Names are values, never keys, so a record field called `description` is no text key;
they are stripped of stray blanks (SendGrid's `"updated_at "`). `provenance.dangling_refs`
lists references in the description that lead nowhere. Where reading needs a query sent in a
POST body (HubSpot's CRM search), `searches` holds those operations (every POST one on a path
ending in `/search`) alike, plus `request_body`: `required` and the body's `fields`, where an
object's or an array of objects' own `fields` are given all the way down and a field with
fixed values lists them as `enum`."""


@dataclass
class Shape:
    """An object schema's properties (each with the file it lives in), flattened over
    ``allOf`` (all parts) and ``oneOf``/``anyOf`` (any branch; required only if in every one)."""

    properties: dict[str, tuple[Any, str]] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    open: bool = False  # additionalProperties allowed explicitly

    def merge(self, other: "Shape", required: bool) -> None:
        for name, prop in other.properties.items():
            self.properties.setdefault(name, prop)
        self.open = self.open or other.open
        if required:
            self.required |= other.required


def shape(docs: Documents, schema: Any, doc: str, depth: int = 0) -> Shape:
    schema, doc = docs.resolve(schema, doc)
    out = Shape()
    if not isinstance(schema, dict) or depth > 20:
        return out
    out.properties = {name: (prop, doc) for name, prop in schema.get("properties", {}).items()}
    out.required = set(schema.get("required", []))
    additional = schema.get("additionalProperties")
    out.open = additional is True or isinstance(additional, dict)
    for part in schema.get("allOf", []):
        out.merge(shape(docs, part, doc, depth + 1), required=True)
    branches = [shape(docs, b, doc, depth + 1) for b in alternatives(schema)]
    for branch in branches:
        out.merge(branch, required=False)
    if branches:
        out.required |= set.intersection(*(branch.required for branch in branches))
    return out


def alternatives(schema: dict[str, Any]) -> list[Any]:
    """A schema's branches: ``oneOf``, ``anyOf``, or a list under ``items`` where there is no
    array (Slack's description writes "any of" as ``{"items": [{...}, {...}]}``)."""
    return schema.get("oneOf") or schema.get("anyOf") or listed_items(schema)


def listed_items(schema: dict[str, Any]) -> list[Any]:
    items = schema.get("items")
    return items if isinstance(items, list) and schema.get("type") != "array" else []


def json_types(docs: Documents, schema: Any, doc: str, depth: int = 0) -> tuple[list[str], bool]:
    """A schema's JSON types (sorted, ``null`` left out) and whether it may be null."""
    schema, doc = docs.resolve(schema, doc)
    if not isinstance(schema, dict) or depth > 20:
        return [], False
    declared = schema.get("type")
    types = set([declared] if isinstance(declared, str) else declared or [])
    nullable = "null" in types or bool(schema.get("nullable") or schema.get("x-nullable"))
    nullable = nullable or None in schema.get("enum", [])
    for part in schema.get("allOf", []):
        inner, _ = json_types(docs, part, doc, depth + 1)
        types = types or set(inner)
    for branch in alternatives(schema):
        inner, inner_nullable = json_types(docs, branch, doc, depth + 1)
        types |= set(inner)
        nullable = nullable or inner_nullable
    if not types and ("properties" in schema or "additionalProperties" in schema):
        types.add("object")
    if not types and "items" in schema and not listed_items(schema):
        types.add("array")
    types.discard("null")
    return sorted(types), nullable


def is_object(docs: Documents, schema: Any, doc: str) -> bool:
    types, _ = json_types(docs, schema, doc)
    return types == ["object"] or bool(shape(docs, schema, doc).properties)


def is_array(docs: Documents, schema: Any, doc: str) -> bool:
    return json_types(docs, schema, doc)[0] == ["array"]


def items_of(docs: Documents, schema: Any, doc: str) -> tuple[Any, str]:
    resolved, doc = docs.resolve(schema, doc)
    items = resolved.get("items", {}) if isinstance(resolved, dict) else {}
    return ({"anyOf": items} if isinstance(items, list) else items), doc


def schema_format(docs: Documents, schema: Any, doc: str) -> str | None:
    schema, doc = docs.resolve(schema, doc)
    if not isinstance(schema, dict):
        return None
    if isinstance(schema.get("format"), str):
        return schema["format"]
    formats = {schema_format(docs, part, doc) for part in schema.get("allOf", [])} - {None}
    return formats.pop() if len(formats) == 1 else None


def type_facts(docs: Documents, schema: Any, doc: str) -> dict[str, Any]:
    """``type`` (a list when several), ``format``, ``nullable``, and for arrays ``items``."""
    types, nullable = json_types(docs, schema, doc)
    facts: dict[str, Any] = {}
    if types:
        facts["type"] = types[0] if len(types) == 1 else types
    if fmt := schema_format(docs, schema, doc):
        facts["format"] = fmt
    if nullable:
        facts["nullable"] = True
    if types == ["array"]:
        item_types, _ = json_types(docs, *items_of(docs, schema, doc))
        if item_types:
            facts["items"] = item_types[0] if len(item_types) == 1 else item_types
    return facts


def field_facts(
    docs: Documents, fields: Shape, depth: int = 0, request: bool = False
) -> list[dict[str, Any]]:
    """The fields' facts; with ``depth``, an object field's own ``fields`` that many levels
    down (the envelope's, where paginators read nested paths such as ``pages.next``). A
    ``request`` body's fields also give the items' ``fields`` of an array of objects and the
    ``enum`` of a field with fixed values."""
    facts = []
    for name, (schema, doc) in fields.properties.items():
        fact = {"name": name.strip(), **type_facts(docs, schema, doc)}
        if name in fields.required:
            fact["required"] = True
        resolved, _ = docs.resolve(schema, doc)
        if request and isinstance(resolved, dict) and isinstance(resolved.get("enum"), list):
            fact["enum"] = [value for value in resolved["enum"] if value is not None]
        inner = None
        if depth and fact.get("type") == "object":
            inner = shape(docs, schema, doc)
        elif depth and request and fact.get("type") == "array" and fact.get("items") == "object":
            inner = shape(docs, *items_of(docs, schema, doc))
        if inner is not None and inner.properties:
            fact["fields"] = field_facts(docs, inner, depth - 1, request)
        facts.append(fact)
    return facts


PARAMETER_PLACES = ("path", "query", "header", "cookie")  # (Swagger 2's body and form are not)


def parameter_facts(
    docs: Documents, path_item: dict[str, Any], operation: dict[str, Any], doc: str
) -> list[dict[str, Any]]:
    """The path's and the operation's parameters (the operation's win), without their text."""
    merged: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
    for parameter in [*path_item.get("parameters", []), *operation.get("parameters", [])]:
        parameter, parameter_doc = docs.resolve(parameter, doc)
        if "name" in parameter and parameter.get("in") in PARAMETER_PLACES:  # (not dangling)
            merged[(parameter["name"], parameter["in"])] = (parameter, parameter_doc)
    facts = []
    for (name, where), (parameter, parameter_doc) in merged.items():
        schema = parameter.get("schema")
        if schema is None and "type" in parameter:  # Swagger 2: the type is the parameter's
            schema = {
                key: parameter[key] for key in ("type", "format", "items") if key in parameter
            }
        if schema is None:  # described by a media type instead
            schema = next(iter(parameter.get("content", {}).values()), {}).get("schema", {})
        required = bool(parameter.get("required")) or where == "path"
        facts.append(
            {"name": name, "in": where, **type_facts(docs, schema, parameter_doc)}
            | {"required": required}
        )
    return facts


def json_body(docs: Documents, response: Any, doc: str) -> tuple[Any, str] | None:
    """A response's JSON (else ``*/*``) schema, if it has one (Swagger 2: its ``schema``)."""
    response, doc = docs.resolve(response, doc)
    if isinstance(response, dict) and isinstance(response.get("schema"), dict):
        return response["schema"], doc
    content = response.get("content", {}) if isinstance(response, dict) else {}
    for media_type in sorted(content, key=lambda media: ("json" not in media, media)):
        if ("json" in media_type or media_type == "*/*") and "schema" in content[media_type]:
            return content[media_type]["schema"], doc
    return None


def body_shape(docs: Documents, schema: Any, doc: str) -> Shape:
    """The success body's shape; of alternative bodies (records or an exception, both under
    200, say), the first holding an array of objects."""
    resolved, resolved_doc = docs.resolve(schema, doc)
    if isinstance(resolved, dict) and alternatives(resolved) and "properties" not in resolved:
        shapes = [shape(docs, branch, resolved_doc) for branch in alternatives(resolved)]
        return next((s for s in shapes if record_arrays(docs, s)), shapes[0])
    return shape(docs, schema, doc)


def record_arrays(docs: Documents, body: Shape) -> list[str]:
    """The body's properties that are arrays of objects."""
    return [
        name
        for name, (schema, doc) in body.properties.items()
        if is_array(docs, schema, doc) and is_object(docs, *items_of(docs, schema, doc))
    ]


def has_key(docs: Documents, array: Any, doc: str) -> bool:
    """Whether an array's items have an id (so are records, not sort orders or errors)."""
    return any(key in shape(docs, *items_of(docs, array, doc)).properties for key in RECORD_KEYS)


def last_segment(path: str) -> str:
    """The path's last fixed segment, lower case, up to a dot: ``messages`` of
    ``.../Messages.json``, ``users`` of ``/users.list``."""
    segments = [part for part in path.split("/") if part and not part.startswith("{")]
    return segments[-1].split(".")[0].lower() if segments else ""


def record_selector(docs: Documents, body: Shape, path: str) -> str | None:
    """The body property holding the records, or None when the body is the record (it has an
    id or a name): the array of objects (of several, the one named like the path's last
    segment, then a common name, then the first), else the one array, else the one property
    when it is an object."""
    if any(name in body.properties for name in RECORD_KEYS):
        return None
    arrays = record_arrays(docs, body)
    if arrays:
        segment = last_segment(path)
        named = [name for name in arrays if name.lower() == segment]
        keyed = [name for name in arrays if has_key(docs, *body.properties[name])]
        first = next((name for name in arrays if name not in NOT_RECORDS), arrays[0])
        return next((name for name in (*named, *COMMON_SELECTORS) if name in arrays), None) or (
            keyed[0] if keyed else first
        )
    arrays = [
        name for name, (schema, doc) in body.properties.items() if is_array(docs, schema, doc)
    ]
    if len(arrays) == 1:
        return arrays[0]
    if len(body.properties) == 1:
        name, (schema, doc) = next(iter(body.properties.items()))
        if is_object(docs, schema, doc):
            return name
    return None


def wrapped_record(docs: Documents, items: Shape, path: str) -> str | None:
    """The property of a wrapper item holding the record, when each item of the records array
    wraps it with related objects rather than being the record: ``customer`` of Chargebee's
    ``{"customer": {...}, "card": {...}}`` at ``/customers``, ``transaction_info`` at
    ``/transactions``. Such an item has only objects; the record is the one named like the
    path's last segment in the singular, exactly, else as the first word of the name."""
    objects = [name for name, prop in items.properties.items() if is_object(docs, *prop)]
    if not objects or len(objects) < len(items.properties):
        return None
    singular = last_segment(path).removesuffix("s")
    for name in objects:
        if name.lower() == singular:
            return name
    return next((name for name in objects if name.lower().startswith(singular + "_")), None)


ENVELOPE_DEPTH = 2  # nested envelope fields kept, for paginators' paths such as pages.next.x


def response_facts(docs: Documents, operation: dict[str, Any], path: str, doc: str) -> Any:
    # (status codes are strings in JSON and may be integers in YAML)
    responses = {str(status): r for status, r in operation.get("responses", {}).items()}
    statuses = sorted((s for s in responses if s.startswith("2")), key="200".__ne__)
    bodies = ((s, json_body(docs, responses[s], doc)) for s in statuses)
    found = next(((status, body) for status, body in bodies if body), None)
    if found is None:
        return None
    status, (schema, schema_doc) = found
    if is_array(docs, schema, schema_doc) and is_object(docs, *items_of(docs, schema, schema_doc)):
        records = shape(docs, *items_of(docs, schema, schema_doc))  # the body is the records
        facts = {"status": status, "record_selector": "$", "record_type": "array"}
        facts |= {"items": "object", "envelope": [], "fields": field_facts(docs, records)}
        return facts | ({"additional_fields": True} if records.open else {})
    if not is_object(docs, schema, schema_doc):  # a file, a scalar, an array of scalars
        return {"status": status, "body": type_facts(docs, schema, schema_doc)}
    body = body_shape(docs, schema, schema_doc)
    selector = record_selector(docs, body, path)
    if selector is None:
        records, facts = body, {"record_type": "object"}
    else:
        selected, selected_doc = body.properties[selector]
        facts = {"record_type": "array" if is_array(docs, selected, selected_doc) else "object"}
        if facts["record_type"] == "array":
            selected, selected_doc = items_of(docs, selected, selected_doc)
            facts["items"] = type_facts(docs, selected, selected_doc).get("type")
        records = shape(docs, selected, selected_doc)
        if facts["record_type"] == "array" and (inner := wrapped_record(docs, records, path)):
            selector = f"{selector}[*].{inner}"
            records = shape(docs, *records.properties[inner])
        holder = selector.split("[")[0]
        envelope = {name: prop for name, prop in body.properties.items() if name != holder}
        facts["envelope"] = field_facts(docs, Shape(envelope, body.required), ENVELOPE_DEPTH)
    facts = {"status": status, "record_selector": selector, **facts}
    facts["fields"] = field_facts(docs, records)
    if records.open:
        facts["additional_fields"] = True
    return facts


def operation_facts(
    docs: Documents, path: str, path_item: dict[str, Any], doc: str, method: str = "get"
) -> Any:
    operation, _ = docs.resolve(path_item[method], doc)
    return {
        "method": method.upper(),
        "path": path,
        "source": doc,
        "parameters": parameter_facts(docs, path_item, operation, doc),
        "response": response_facts(docs, operation, path, doc),
    }


SEARCHES = "every POST operation on a path ending in /search"
REQUEST_DEPTH = 5  # a search body's filterGroups[].filters[].operator is three levels down


def request_body_facts(docs: Documents, operation: dict[str, Any], doc: str) -> Any:
    """Whether a JSON request body is required, and its fields; ``null`` when there is none."""
    body, body_doc = docs.resolve(operation.get("requestBody"), doc)
    found = json_body(docs, body, body_doc) if isinstance(body, dict) else None
    if found is None:
        return None
    schema, schema_doc = found
    fields = field_facts(docs, shape(docs, schema, schema_doc), REQUEST_DEPTH, request=True)
    return {"required": bool(body.get("required")), "fields": fields}


def search_facts(docs: Documents) -> list[dict[str, Any]]:
    """Every POST operation on a path ending in ``/search``, with its request body's facts."""
    searches = []
    for name, document in docs.by_name.items():
        for path, path_item in document.get("paths", {}).items():
            if path.endswith("/search") and "post" in path_item:
                operation, _ = docs.resolve(path_item["post"], name)
                body = request_body_facts(docs, operation, name)
                searches.append(
                    operation_facts(docs, path, path_item, name, "post") | {"request_body": body}
                )
    return sorted(searches, key=lambda op: (op["path"], op["source"]))


def base_path(document: dict[str, Any]) -> str:
    """The path part of the description's (first) server, or of a Swagger 2 ``basePath``."""
    if "basePath" in document:
        return str(document["basePath"]).rstrip("/")
    servers = document.get("servers") or [{}]
    url = servers[0].get("url", "")
    for name, variable in servers[0].get("variables", {}).items():
        url = url.replace("{" + name + "}", str(variable.get("default", "")))
    return urlsplit(url).path.rstrip("/")


def template(path: str) -> str:
    """A path with its placeholders made alike: ``/a/{b}/c`` -> ``/a/{}/c``."""
    return re.sub(r"\{[^/}]*\}", "{}", "/" + path.strip("/"))


def catalog_reads(connectors: Iterable[str]) -> set[tuple[str, str]]:
    """(method, stream path with placeholders made alike) of each stream of the connectors."""
    reads = set()
    for name in connectors:
        spec = load_spec(CATALOG / f"{name}.yaml")
        reads |= {(stream.method.lower(), template(stream.path)) for stream in spec.streams}
    return reads


def reads_path(path: str, stream: str) -> bool:
    """Whether a description's path ends like a stream's (both with placeholders made alike),
    a placeholder of the description's standing for any one segment of the stream's:
    ``/2.0/folders/{}/items`` for ``/folders/0/items``."""
    ours, theirs = template(path).strip("/").split("/"), stream.strip("/").split("/")
    if len(ours) < len(theirs):
        return False
    tail = ours[len(ours) - len(theirs) :]
    if tail[-1] != theirs[-1]:  # (the last segment names what is read)
        return False
    return all(a == b or a == "{}" for a, b in zip(tail, theirs, strict=True))


def kept(scope: str, reads: set[tuple[str, str]], method: str, path: str) -> bool:
    """Whether facts are kept of an operation: every GET one (scope ``all``), and those on a path
    ending like one a catalog connector reads with that method."""
    read = any(method == m and reads_path(path, stream) for m, stream in reads)
    return read or (scope == "all" and method == "get")


def vendor_facts(specs_dir: Path, source: Source) -> dict[str, Any]:
    files = sorted(specs_dir.glob(source.files))
    if not files:
        raise FileNotFoundError(f"no {source.files} under {specs_dir}")
    docs = Documents(files)
    reads = catalog_reads(source.connectors)
    operations = [
        operation_facts(docs, path, path_item, name, method)
        for name, document in docs.by_name.items()
        for path, path_item in document.get("paths", {}).items()
        for method in ("get", "post")
        if method in path_item and kept(source.scope, reads, method, path)
    ]
    operations.sort(key=lambda op: (op["path"], op["method"], op["source"]))
    searches = {"searches": search_facts(docs)} if source.searches else {}
    dangling = {"dangling_refs": sorted(docs.dangling)} if docs.dangling else {}
    bases = {name: base_path(document) for name, document in docs.by_name.items()}
    described = provenance(specs_dir, source.files)
    if not described["path"]:  # (the README names the repository only: the file is at its root)
        described["path"] = " ".join(path.name for path in files)
    return {
        "provenance": {
            **described,
            "files": [path.name for path in files],
            "base_path": next(iter(bases.values())) if len(set(bases.values())) == 1 else bases,
            "operations": "every GET operation"
            if source.scope == "all"
            else "the operations on the paths of the catalog connectors' streams",
            "connectors": list(source.connectors),
            **({"searches": SEARCHES} if searches else {}),
            **({"licence_file": "LICENSE"} if source.licence else {}),
            "note": FACTS_NOTE,
            **dangling,
            "regenerate": COMMAND,
        },
        "operations": operations,
        **searches,
    }


# ---- writing -----------------------------------------------------------------------------------


def compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def dump_facts(facts: dict[str, Any]) -> str:
    """Readable and diffable: the provenance indented, then one operation a line."""
    header = json.dumps(facts["provenance"], ensure_ascii=False, indent=2)
    lists = [
        f'"{key}": [\n' + ",\n".join(f"  {compact(op)}" for op in facts[key]) + "\n]"
        for key in ("operations", "searches")
        if key in facts
    ]
    return f'{{\n"provenance": {header},\n' + ",\n".join(lists) + "\n}\n"


def readme(rows: list[tuple[str, dict[str, str]]]) -> str:
    table = "\n".join(
        f"| {target} | {p['vendor_repository']} | {p['path']} | {p['api_version']} | "
        f"{p['licence']} | {p['source']} |"
        for target, p in rows
    )
    return f"""# Vendor API data carried by the tests

The tests never read `../shared/vendor-specs`: what they need of the vendors' published API
descriptions is here. Generated by `extract.py` (edit it, not the files); regenerate them all
from a checkout next to `../shared/vendor-specs` with

    {COMMAND} [SPECS_DIR]

- `stripe/spec3-extract.json`: a faithful subset of Stripe's MIT-licensed description (copyright
  and permission notice in `stripe/LICENSE`): the GET operations of the list and retrieve paths
  the Stripe sandbox serves, the `error` schema, and every component they reach by `$ref`.
- `<vendor>/facts.json`: distilled facts only (each operation's method, path, parameters with
  name, location, type and whether required; for the success response the record selector,
  record fields and envelope fields with JSON types and formats). None of the description's
  text (descriptions, summaries, examples) is included: for descriptions marked "internal
  validation only" nothing more may be kept, and for the MIT- and Apache-licensed ones facts
  are all the tests need (their licence is copied next to them as `<vendor>/LICENSE`). Each
  file repeats its provenance in its `provenance` header.

## Facts format

{FACTS_FORMAT}

## Provenance

| file | vendor repository | path | API version | licence | shared source |
|---|---|---|---|---|---|
{table}

`stripe/LICENSE` and `<vendor>/LICENSE` are copies of the licences shipped with the
descriptions.

Load them in tests with `tests.vendor_specs.stripe_spec()` and `tests.vendor_specs.facts(vendor)`.
"""


def main(argv: list[str]) -> None:
    specs_dir = Path(argv[0]).resolve() if argv else DEFAULT_SPECS_DIR
    (HERE / "stripe").mkdir(exist_ok=True)
    extract = stripe_extract(specs_dir)
    target = HERE / "stripe" / "spec3-extract.json"
    target.write_text(compact(extract) + "\n", encoding="utf-8")
    shutil.copyfile(specs_dir / "stripe" / "LICENSE", HERE / "stripe" / "LICENSE")
    rows = [("stripe/spec3-extract.json", provenance(specs_dir, STRIPE_SOURCE))]
    for vendor, source in FACT_SOURCES.items():
        facts = vendor_facts(specs_dir, source)
        (HERE / vendor).mkdir(exist_ok=True)
        (HERE / vendor / "facts.json").write_text(dump_facts(facts), encoding="utf-8")
        if source.licence:
            shutil.copyfile(specs_dir / source.licence, HERE / vendor / "LICENSE")
        rows.append((f"{vendor}/facts.json", facts["provenance"]))
        size = (HERE / vendor / "facts.json").stat().st_size
        print(f"{vendor}: {len(facts['operations'])} operations, {size} bytes", file=sys.stderr)
    (HERE / "README.md").write_text(readme(rows), encoding="utf-8")
    print(f"stripe: {len(extract['paths'])} paths, {target.stat().st_size} bytes", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
