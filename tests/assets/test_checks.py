"""The check verdicts on their own: what passes, what fails, what only warns."""

from dagster import AssetCheckSeverity, AssetKey

from assets.checks import TableState, row_count_result, schema_drift, schema_drift_result

KEY = AssetKey(["stripe", "customers"])


def test_row_count_fails_when_a_loaded_table_is_missing_or_short():
    current = {"billing_customers": TableState({"id": "VARCHAR"}, 2)}
    result = row_count_result(
        KEY,
        "acme.billing",
        ["billing_customers", "billing_customers__tax_ids"],
        {"billing_customers": 3, "billing_customers__tax_ids": 1},
        current,
        None,
    )
    assert not result.passed
    assert result.severity == AssetCheckSeverity.ERROR
    assert "billing_customers holds 2 rows but this run loaded 3" in result.description
    assert "billing_customers__tax_ids is missing" in result.description


def test_row_count_passes_for_a_stream_that_never_had_rows():
    result = row_count_result(KEY, "acme.billing", ["billing_disputes"], {}, {}, None)
    assert result.passed


def test_row_count_fails_when_a_table_recorded_before_is_gone():
    previous = {"billing_disputes": {"id": "VARCHAR"}}
    result = row_count_result(KEY, "acme.billing", ["billing_disputes"], {}, {}, previous)
    assert not result.passed


def test_drift_lists_added_removed_and_retyped_columns():
    previous = {"t": {"id": "VARCHAR", "old": "BIGINT", "amount": "BIGINT"}}
    current = {"t": {"id": "VARCHAR", "new": "VARCHAR", "amount": "DOUBLE"}}
    assert schema_drift(previous, current) == {
        "t": {"added": ["new"], "removed": ["old"], "retyped": ["amount: BIGINT -> DOUBLE"]}
    }
    result = schema_drift_result(KEY, "acme.billing", current, previous)
    assert not result.passed
    assert result.severity == AssetCheckSeverity.WARN
    assert "added new" in result.description and "removed old" in result.description


def test_drift_passes_on_the_first_run_and_when_nothing_changed():
    columns = {"t": {"id": "VARCHAR"}}
    assert schema_drift_result(KEY, "acme.billing", columns, None).passed
    assert schema_drift_result(KEY, "acme.billing", columns, columns).passed
