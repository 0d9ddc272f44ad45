"""A module's fields metadata as Zoho's ``GET /crm/v8/settings/fields?module=`` answers it.

Every property Zoho's v8 description requires of a field is there, with its type; values are a
plain organization's (visible, not encrypted, no formula, the Standard layout).
"""

from typing import Any

from connectors.sandbox.zoho_crm.dataset import ID_BASE, PICKS, Field, Module

PROFILES = [
    {"permission_type": "read_write", "name": "Administrator", "id": "5725767000000015972"},
    {"permission_type": "read_write", "name": "Standard", "id": "5725767000000015975"},
]
LAYOUT = {"api_name": "Standard__s", "name": "Standard", "id": "5725767000000095055"}
UI_TYPES = {
    "text": 1,
    "email": 25,
    "phone": 33,
    "picklist": 2,
    "multiselectpicklist": 100,
    "integer": 32,
    "double": 38,
    "currency": 36,
    "percent": 35,
    "boolean": 301,
    "date": 24,
    "datetime": 333,
    "lookup": 133,
    "ownerlookup": 8,
    "userlookup": 8,
    "website": 21,
    "textarea": 3,
}
SYSTEM_MAINTAINED = {"Created_By", "Modified_By", "Created_Time", "Modified_Time"}
OPTIONS = [
    {
        "display_value": value,
        "sequence_number": at,
        "reference_value": value,
        "actual_value": value,
        "id": str(ID_BASE + at),
        "type": "used",
    }
    for at, value in enumerate(PICKS, start=1)
]
"""Every picklist's options (one list for all: the simulator's values come from it)."""


def fields_metadata(module: Module) -> list[dict[str, Any]]:
    return [_field(module, spec, at) for at, spec in enumerate(module.fields, start=1)]


def _field(module: Module, spec: Field, at: int) -> dict[str, Any]:
    read_only = spec.api_name in SYSTEM_MAINTAINED
    picklist = spec.data_type in ("picklist", "multiselectpicklist")
    return {
        "associated_module": {},
        "webhook": True,
        "operation_type": {
            "web_update": not read_only,
            "api_create": not read_only,
            "web_create": not read_only,
            "api_update": not read_only,
        },
        "colour_code_enabled_by_system": False,
        "field_label": spec.label,
        "tooltip": {},
        "type": "used",
        "field_read_only": read_only,
        "customizable_properties": [] if read_only else ["mandatory", "removal"],
        "display_label": spec.label,
        "read_only": read_only,
        "association_details": {},
        "businesscard_supported": False,
        "multi_module_lookup": {},
        "id": str(ID_BASE + module.index * 10_000 + at),
        "created_time": "2024-01-01T09:00:00+05:30" if spec.custom else None,
        "filterable": True,
        "visible": True,
        "available_in_user_layout": True,
        "display_field": spec.api_name in ("Last_Name", "Subject"),
        "pick_list_values_sorted_lexically": False,
        "sortable": True,
        "layout_associations": [LAYOUT],
        "separator": False,
        "searchable": True,
        "enable_colour_code": False,
        "mass_update": not read_only,
        "json_type": spec.json_type,
        "created_source": "crm" if spec.custom else "default",
        "data_type": spec.data_type,
        "display_type": -1,
        "ui_type": UI_TYPES.get(spec.data_type, 1),
        "length": 255,
        "decimal_place": 2 if spec.data_type in ("currency", "double") else None,
        "quick_sequence_number": str(at),
        "sequence_number": at,
        "email_parser": {"fields_update_supported": False, "record_operations_supported": False},
        "rollup_summary": {},
        "refer_from_field": {},
        "modified_time": "2024-01-01T09:00:00+05:30" if spec.custom else None,
        "show_type": 7,
        "category": 0,
        "sharing_properties": {},
        "currency": {},
        "file_upolad_optionlist": [],
        "lookup": {},
        "profiles": PROFILES,
        "view_type": {"view": True, "edit": not read_only, "quick_create": False, "create": True},
        "unique": {},
        "sub_module": {},
        "subform": None,
        "external": {},
        "formula": {},
        "convert_mapping": {},
        "multiselectlookup": {},
        "multiuserlookup": {},
        "autonumber": {},
        "auto_number": {},
        "pick_list_values": OPTIONS if picklist else [],
        "crypt": {},
        "history_tracking": {},
        "allowed_modules": [],
        "additional_column": None,
        "api_name": spec.api_name,
        "column_name": spec.api_name.upper(),
        "custom_field": spec.custom,
        "system_mandatory": spec.api_name == "Last_Name",
        "virtual_field": False,
        "blueprint_supported": False,
        "common.picklist": None,
        "hipaa_compliance_enabled": False,
        "hipaa_compliance": {},
        "_update_existing_records": False,
        "number_separator": False,
        "textarea": {},
        "static_field": False,
    }
