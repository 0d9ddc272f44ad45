"""A module's columns, from its fields metadata: each field's dlt data type, the cursor first.

Every Zoho CRM organization has its own fields (custom ones, renamed ones), so a module's table
has the columns its fields metadata lists, typed from each field's ``json_type`` (what its JSON
value is) and ``data_type``: lookups, owners, multi-select picklists and other objects and lists
as JSON text, date-times as timestamps, dates as dates, numbers and booleans as such, the rest
as text.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from connectors.zoho_crm.vendor import CURSOR
from governance.errors import AtsparkError

BY_JSON_TYPE = {
    "jsonobject": "json",
    "jsonarray": "json",
    "boolean": "bool",
    "integer": "bigint",
    "double": "double",
}
BY_DATA_TYPE = {
    "datetime": "timestamp",
    "date": "date",
    "boolean": "bool",
    "integer": "bigint",
    "double": "double",
    "currency": "double",
    "percent": "double",
    "decimal": "double",
    "lookup": "json",
    "ownerlookup": "json",
    "userlookup": "json",
    "multiselectpicklist": "json",
    "multiselectlookup": "json",
    "multiuserlookup": "json",
    "subform": "json",
}
"""Types by ``data_type`` when ``json_type`` says only ``string`` (dates) or is missing."""
ALWAYS = {"id": "text"}
"""What every record has, whether its fields metadata lists it or not."""


def column_type(field: Mapping[str, Any]) -> str:
    json_type = field.get("json_type")
    if json_type in BY_JSON_TYPE:
        return BY_JSON_TYPE[json_type]
    kind = BY_DATA_TYPE.get(str(field.get("data_type")), "text")
    if json_type == "string" and kind not in ("timestamp", "date"):
        return "text"  # written as a string whatever it means (a bigint, an autonumber)
    return kind


def columns(module: str, fields: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """The module's columns and their dlt data types: ``id``, then its fields in Zoho's order."""
    declared = dict(ALWAYS)
    for field in fields:
        name = field.get("api_name")
        if isinstance(name, str) and name and name not in declared:
            declared[name] = column_type(field)
    if declared.get(CURSOR) != "timestamp":
        raise AtsparkError(
            f"Zoho CRM's {module} module lists no {CURSOR} date-time field: it cannot be loaded "
            "incrementally"
        )
    return declared


def requested(declared: Mapping[str, str]) -> list[str]:
    """The field names to ask for, the cursor first (it must come with every page)."""
    return [CURSOR, *(name for name in declared if name not in (CURSOR, *ALWAYS))]
