"""The Stripe streams' declared columns: generated from Stripe's spec, covering every field the
sandbox returns, typed as the tables were; and the Arrow tables built to them."""

from pathlib import Path

import orjson
import pyarrow as pa
import pytest

from connectors.arrow import ARROW_TYPES, arrow_schema, to_arrow
from connectors.sandbox.stripe import generate
from connectors.stripe import columns_from_spec
from connectors.stripe.columns import COLUMNS
from connectors.stripe.streams import STREAMS
from governance.errors import AtsparkError
from tests.vendor_specs import stripe_spec

ENDPOINT_OF = {s.spec.name: s.path.removeprefix("/v1/") for s in STREAMS}
DATASETS = [(5, 60), (42, 300), (2, 1), (11, 16)]  # (seed, customers)


def test_every_stream_declares_its_columns_id_first_its_cursor_an_integer():
    assert list(COLUMNS) == [s.spec.name for s in STREAMS]
    for stream in STREAMS:
        columns = stream.columns
        assert list(columns)[:2] == ["id", "object"], stream.spec.name
        assert columns[stream.spec.cursor] == "bigint", stream.spec.name
        assert set(columns.values()) <= set(ARROW_TYPES), stream.spec.name


def test_the_module_is_what_the_generator_makes_of_stripes_spec():
    """The committed extract of the 2023-08-16 description carries the 11 objects whole."""
    declared = columns_from_spec.declarations(stripe_spec())
    assert declared == COLUMNS
    module = Path(columns_from_spec.__file__).with_name("columns.py")
    assert module.read_text(encoding="utf-8") == columns_from_spec.render(declared)


def test_spec_types_map_to_column_types():
    schemas = {"address": {"type": "object", "properties": {}}}
    cases = {
        "text": [
            {"type": "string"},
            {"type": "string", "format": "decimal", "nullable": True},
            {"type": "object", "additionalProperties": {"type": "string"}},
            {"type": "array", "items": {"type": "string"}},
            {"$ref": "#/components/schemas/address"},
            {"anyOf": [{"$ref": "#/components/schemas/address"}], "nullable": True},
            {"anyOf": [{"type": "string"}, {"$ref": "#/components/schemas/address"}]},
        ],
        "bigint": [{"type": "integer", "format": "unix-time"}, {"type": "integer"}],
        "double": [{"type": "number", "nullable": True}],
        "bool": [{"type": "boolean"}],
    }
    for kind, props in cases.items():
        for prop in props:
            assert columns_from_spec.column_type(prop, schemas) == kind, prop


def as_before(records):
    """The Arrow table the connector built before columns were declared: types inferred."""
    rows = [
        {k: orjson.dumps(v).decode() if isinstance(v, dict | list) else v for k, v in r.items()}
        for r in records
    ]
    return pa.Table.from_pylist(rows)


@pytest.mark.parametrize(("seed", "customers"), DATASETS)
def test_every_field_of_every_sandbox_record_is_declared_with_the_type_it_had(seed, customers):
    """Nothing the sandbox returns is left out, and no column's type changes: the types Arrow
    infers from the records (what the tables held before the declaration) are the declared ones.
    """
    dataset = generate(seed, customers)
    for stream in STREAMS:
        records = list(dataset.objects(ENDPOINT_OF[stream.spec.name]))
        undeclared = set().union(*records) - set(stream.columns)
        assert not undeclared, f"{stream.spec.name}: {sorted(undeclared)}"
        if not records:
            continue
        before = as_before(records)
        declared = arrow_schema(stream.columns)
        for field in before.schema:
            assert field.type in (pa.null(), declared.field(field.name).type), (
                f"{stream.spec.name}.{field.name}: {field.type}"
            )
        table = to_arrow(records, declared)
        assert table.schema == declared
        assert table.select(before.column_names).to_pylist() == before.to_pylist()


CUSTOMER = arrow_schema(COLUMNS["customers"])


def test_a_batch_has_every_declared_column_typed_even_when_null_or_absent():
    table = to_arrow([{"id": "cus_1", "object": "customer", "created": 1}], CUSTOMER)
    assert table.schema == CUSTOMER
    row = table.to_pylist()[0]
    assert row["balance"] is None and row["delinquent"] is None and row["email"] is None
    assert to_arrow([], CUSTOMER).schema == CUSTOMER


def test_nested_values_are_json_text_and_undeclared_fields_are_left_out():
    record = {
        "id": "cus_1",
        "metadata": {"plan": "pro", "seats": 3},
        "preferred_locales": ["en", "fr"],
        "name": 42,  # not a string, per the spec: kept as its JSON text
        "brand_new_field": "x",
    }
    row = to_arrow([record, {"id": "cus_2", "metadata": {}}], CUSTOMER).to_pylist()
    assert row[0]["metadata"] == '{"plan":"pro","seats":3}'
    assert row[0]["preferred_locales"] == '["en","fr"]'
    assert row[0]["name"] == "42"
    assert row[1]["metadata"] == "{}" and row[1]["name"] is None
    assert "brand_new_field" not in row[0]


def test_a_double_column_takes_integers():
    schema = arrow_schema(COLUMNS["balance_transactions"])
    table = to_arrow([{"id": "txn_1", "exchange_rate": 1}, {"id": "txn_2"}], schema)
    assert table.column("exchange_rate").to_pylist() == [1.0, None]


@pytest.mark.parametrize(
    ("column", "value"),
    [("balance", 1.5), ("balance", "12"), ("balance", True), ("delinquent", 1), ("balance", 2**64)],
)
def test_a_value_its_column_cannot_hold_exactly_is_an_error_not_a_cast(column, value):
    with pytest.raises(AtsparkError, match=rf"for '{column}', declared"):
        to_arrow([{"id": "cus_1", column: None}, {"id": "cus_2", column: value}], CUSTOMER)
