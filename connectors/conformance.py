"""The conformance kit: a pytest plugin every connector is held to, built in or plugged in.

In a plugin package's ``conftest.py``::

    pytest_plugins = ["connectors.conformance"]

and in a test module::

    from connectors.conformance import Conformance

    class TestMyConnector(Conformance):
        connectors = ["my_connector"]

For each named connector it checks the declaration (a valid JSON Schema of the connection with
its secrets write-only, streams with keys among their columns, hosts it may reach), and for a
declarative one runs it with dlt against its simulator on 127.0.0.1: a full load with faults on
(429 with ``Retry-After``, 503, connection resets mid-body and slow answers, all retried) must
load exactly the simulator's records; after the vendor's data moves, an incremental load must
ask from the last cursor and leave the tables exactly right again, nothing lost or doubled.
"""

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pytest

from connectors.base import ConnectionSpec, Connector, Runtime
from connectors.declarative import spec as s
from connectors.declarative.connector import DeclarativeConnector
from connectors.registry import get_connector
from connectors.sandbox.generic import Faults, running_simulator

FAULTS = Faults(
    rate_limit_every=4, error_every=3, reset_every=5, slow_every=7, slow_seconds=0.4, max_each=1
)
"""Faults of the full load: one of each kind, early, wherever pagination has got to."""
PATIENT_RETRY = s.Retry(max_attempts=10, backoff_factor=0.01, max_delay=0.1, timeout=0.2)
"""The retry policy of the kit's runs: waits capped short (that ``Retry-After`` is honoured is
the platform's test), the timeout below FAULTS' slow answers."""
"""The retry policy of the kit's runs: as a spec's, but its timeout below FAULTS' slow answers."""


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Each test of a kit class once per connector of its ``connectors`` (names or objects)."""
    if "conformance_connector" in metafunc.fixturenames:
        given = list(getattr(metafunc.cls, "connectors", None) or [])
        ids = [item if isinstance(item, str) else item.name for item in given]
        metafunc.parametrize("conformance_connector", given, ids=ids, scope="class")


@dataclass
class Runs:
    """A connector's two loads against its simulator, and what the simulator held each time."""

    connector: DeclarativeConnector
    tables: list[dict[str, list[dict[str, Any]]]] = field(default_factory=list)
    expected: list[dict[str, list[dict[str, Any]]]] = field(default_factory=list)
    requests: list[list[dict[str, Any]]] = field(default_factory=list)


def run_against_simulator(connector: DeclarativeConnector, workdir: Path) -> Runs:
    """Two loads through dlt into DuckDB: a full one (faults on), then, after the simulator's
    data moved, an incremental one from the same pipeline's state."""
    import dlt
    from dlt.common.normalizers.naming.snake_case import NamingConvention

    spec = connector.spec.model_copy(update={"retry": PATIENT_RETRY})
    runs = Runs(connector)
    with running_simulator(spec, seed=7, faults=FAULTS) as (url, simulator):
        pipeline = dlt.pipeline(
            pipeline_name=f"conformance_{spec.name}",
            pipelines_dir=str(workdir / "pipelines"),
            destination=dlt.destinations.duckdb(str(workdir / "warehouse.duckdb")),
            dataset_name="conformance",
        )
        naming = NamingConvention()  # how dlt names the warehouse's columns
        secrets = _any_credentials(connector)
        runtime = Runtime(egress_hosts=("127.0.0.1",), save_secrets=secrets.update)
        config = {**_required_config(connector), "base_url": url}

        def source() -> Any:
            connection = ConnectionSpec("conformance", spec.name, config, dict(secrets), runtime)
            connector.validate(connection)
            return DeclarativeConnector(spec).source(connection)

        pipeline.run(source())
        runs.requests.append(list(simulator.requests))
        runs.expected.append(_expected(simulator.dataset, naming))
        runs.tables.append(_tables(pipeline, spec))

        simulator.dataset.advance()
        before = len(simulator.requests)
        pipeline.run(source())
        runs.requests.append(simulator.requests[before:])
        runs.expected.append(_expected(simulator.dataset, naming))
        runs.tables.append(_tables(pipeline, spec))
    return runs


def _any_credentials(connector: Connector) -> dict[str, str]:
    properties = connector.config_schema.get("properties", {})
    return {
        name: f"conformance-{name}" for name, field in properties.items() if field.get("writeOnly")
    }


def _required_config(connector: Connector) -> dict[str, Any]:
    """A value for each required config field: its default, first example or enum value, or
    a placeholder of its type."""
    schema = connector.config_schema
    values: dict[str, Any] = {}
    for name in schema.get("required", ()):
        field_ = schema["properties"][name]
        if field_.get("writeOnly"):
            continue
        choices = [*field_.get("enum", ()), *field_.get("examples", ())]
        typed = {"integer": 1, "number": 1.0, "boolean": True, "array": ["conformance"]}
        values[name] = field_.get(
            "default",
            choices[0]
            if choices
            else typed.get(field_.get("type"), f"conformance-{name.replace('_', '-')}"),
        )
    return values


def _expected(dataset: Any, naming: Any) -> dict[str, list[dict[str, Any]]]:
    """The simulator's records, their fields named as dlt names the warehouse's columns."""
    return {
        name: [
            {naming.normalize_identifier(k): v for k, v in row.items() if k != "_parent"}
            for row in rows
        ]
        for name, rows in dataset.records.items()
    }


def _tables(pipeline: Any, spec: s.ConnectorSpec) -> dict[str, list[dict[str, Any]]]:
    with pipeline.sql_client() as client:
        loaded = {}
        for stream in spec.streams:
            with client.execute_query(
                f"SELECT * FROM {client.make_qualified_table_name(stream.name)}"
            ) as cursor:
                columns = [column[0] for column in cursor.description]
                loaded[stream.name] = [
                    dict(zip(columns, row, strict=True)) for row in cursor.fetchall()
                ]
    return loaded


class Declaration:
    """The declaration checks, for any connector: subclass it with ``connectors = [...]``."""

    connectors: ClassVar[list[str | Connector]] = []
    """Registered connectors by name, or connector objects (a package's, not yet installed)."""

    @pytest.fixture(scope="class")
    def connector(self, conformance_connector: str | Connector) -> Connector:
        if isinstance(conformance_connector, Connector):
            return conformance_connector
        return get_connector(conformance_connector)

    def test_declaration(self, connector: Connector) -> None:
        """Name, category, auth kind, a valid JSON Schema with write-only text secrets, streams
        with their keys and cursors among their columns."""
        import jsonschema

        info = connector.info
        assert info.name and info.name == connector.name
        assert info.category and info.auth
        jsonschema.Draft202012Validator.check_schema(dict(info.config_schema))
        for name, field_ in info.config_schema.get("properties", {}).items():
            if field_.get("writeOnly"):
                assert field_.get("type") == "string", f"secret {name} must be text"
        for stream in connector.streams():
            assert set(stream.key) <= set(stream.columns) or not stream.columns, stream.name
            assert stream.cursor is None or stream.cursor in stream.columns or not stream.columns


class Conformance(Declaration):
    """Declaration and runs against the simulator, for declarative connectors."""

    def test_reaches_only_its_hosts(self, connector: Connector) -> None:
        """Its default base URL and token endpoint are among its allowed hosts; others are not."""
        from urllib.parse import urlsplit

        from connectors.egress import host_allowed

        assert isinstance(connector, DeclarativeConnector), "only declarative connectors run here"
        spec = connector.spec
        urls = [getattr(spec.auth, "token_url", None)]
        if "{" not in spec.base_url:
            urls.append(spec.base_url)
        for url in filter(None, urls):
            assert host_allowed(urlsplit(url).hostname or "", spec.allowed_hosts), url
        assert not host_allowed("attacker.example", spec.allowed_hosts)

    def test_loads_exactly_despite_faults_then_incrementally(self, connector: Connector) -> None:
        """Against its simulator: a full load with a 429, a 503, a reset and a timeout in the
        middle of pagination holds exactly the simulator's records; after the data moved, the
        next load asks from the last cursor and leaves every table exactly right again."""
        assert isinstance(connector, DeclarativeConnector), "only declarative connectors run here"
        with tempfile.TemporaryDirectory(prefix="conformance_") as workdir:
            runs = run_against_simulator(connector, Path(workdir))
        _assert_exact(runs, 0, "full load")
        _assert_asks_from_last_cursor(runs)
        _assert_exact(runs, 1, "incremental load")


def _assert_asks_from_last_cursor(runs: Runs) -> None:
    """Incremental streams send their start parameter with the first load's highest cursor."""
    from dlt.common.normalizers.naming.snake_case import NamingConvention

    from connectors.declarative.engine import convert

    for stream in runs.connector.spec.streams:
        incremental = stream.incremental
        if not incremental or not incremental.start_param:
            continue
        cursor = NamingConvention().normalize_identifier(incremental.cursor_path)
        highest = max(row[cursor] for row in runs.expected[0][stream.name])
        if incremental.param_format and incremental.param_format != incremental.format:
            highest = convert(incremental.format, incremental.param_format, highest)
        sent = [
            request["query"].get(incremental.start_param)
            for request in runs.requests[1]
            if request["query"].get(incremental.start_param) is not None
        ]
        assert str(highest) in sent, f"{stream.name}: asked from {sent[:3]}, not {highest}"


def _canonical(value: Any) -> str:
    """A key value as text, whether from the simulator's JSON or the warehouse's types."""
    from datetime import UTC, date, datetime

    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _assert_exact(runs: Runs, round_: int, load: str) -> None:
    """Each stream's table against the simulator's records: the same keys, each once, with the
    source's current values; or, without a key, as many rows."""
    from dlt.common.normalizers.naming.snake_case import NamingConvention

    name = NamingConvention().normalize_identifier
    for stream in runs.connector.spec.streams:
        expected = runs.expected[round_][stream.name]
        loaded = runs.tables[round_][stream.name]
        keys = [name(column) for column in stream.key_columns]
        where = f"{load}, {stream.name}"
        if not keys:  # append-only events (incremental) or replaced tables
            assert len(loaded) == len(expected), where
            continue
        assert sorted(_key(row, keys) for row in loaded) == sorted(
            _key(row, keys) for row in expected
        ), f"{where}: keys differ from the source's (lost or doubled records)"
        texts = [c for c, kind in stream.columns.items() if kind == "text"]
        text = next((name(c) for c in texts if c not in stream.key_columns), None)
        if text:
            want = {_key(row, keys): row[text] for row in expected}
            got = {_key(row, keys): row[text] for row in loaded}
            assert got == want, f"{where}: {text} differs from the source"


def _key(row: dict[str, Any], columns: list[str]) -> tuple[str, ...]:
    return tuple(_canonical(row[column]) for column in columns)
