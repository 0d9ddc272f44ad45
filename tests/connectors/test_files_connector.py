"""The files connector against real dlt, real DuckDB and a real moto S3 server."""

import json
import os
import subprocess
import sys
import tempfile
import uuid
from importlib.metadata import entry_points
from pathlib import Path
from types import SimpleNamespace

import boto3
import dlt
import duckdb
import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

from connectors.base import ConnectionSpec, LocalFiles, Runtime
from connectors.files import FilesConnector, connector
from governance.errors import AtsparkError, NotFoundError
from tests.fixtures.services import free_port, wait_for_http

# helpers ----------------------------------------------------------------------------------------


TEMP = Path(tempfile.gettempdir())


def spec(secrets: dict[str, str] | None = None, **config: str) -> ConnectionSpec:
    """A connection that may read local files under the temporary directory (where every
    ``tmp_path`` is) and S3 on the server ``aws_env`` names."""
    runtime = Runtime(LocalFiles(roots=(TEMP,)), os.environ.get("ATSPARK_AWS_ENDPOINT_URL"))
    return ConnectionSpec("acme", "crm", config, secrets or {}, runtime)


def source_for(secrets: dict[str, str] | None = None, **config: str):
    """The connection's source, validated first as the pipeline does."""
    connection = spec(secrets, **config)
    connector.validate(connection)
    return connector.source(connection)


def load(tmp_path: Path, source) -> None:
    pipeline = dlt.pipeline(
        pipeline_name="files_test",
        destination=dlt.destinations.duckdb(str(tmp_path / "x.duckdb")),
        dataset_name="ds",
        pipelines_dir=str(tmp_path / "p"),
    )
    pipeline.run(source)


def query(tmp_path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(tmp_path / "x.duckdb"), read_only=True) as db:
        return db.sql(sql).fetchall()


def tables(tmp_path: Path) -> set[str]:
    rows = query(
        tmp_path,
        "select table_name from information_schema.tables "
        "where table_schema = 'ds' and table_name not like '\\_dlt%' escape '\\'",
    )
    return {name for (name,) in rows}


def extraction_error(tmp_path: Path, source) -> AtsparkError:
    """The AtsparkError a resource raised while dlt extracted it (dlt wraps it)."""
    with pytest.raises(PipelineStepFailed) as failed:
        load(tmp_path, source)
    error: BaseException | None = failed.value
    while error is not None and not isinstance(error, AtsparkError):
        error = error.__cause__ or error.__context__
    assert isinstance(error, AtsparkError), failed.value
    return error


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def write_parquet(path: Path, columns: dict[str, list]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), path)
    return path


def parquet_bytes(columns: dict[str, list]) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table(columns), sink)
    return sink.getvalue().to_pybytes()


ORDERS_CSV = "id,amount,status\n1,10.5,paid\n2,20,open\n3,7.25,paid\n"


# the connector as a plugin -----------------------------------------------------------------------


def test_registered_under_the_connectors_entry_point():
    (entry_point,) = entry_points(group="atspark.connectors", name="files")
    assert entry_point.load() is connector
    assert isinstance(connector, FilesConnector) and connector.name == "files"
    assert connector.streams() == ()
    schema = connector.config_schema
    assert set(schema["properties"]) == {
        "path",
        "primary_key",
        "format",
        "endpoint_url",
        "aws_access_key_id",
        "aws_secret_access_key",
    }
    assert schema["required"] == ["path"]
    assert {k for k, v in schema["properties"].items() if v.get("writeOnly")} == {
        "aws_access_key_id",
        "aws_secret_access_key",
    }


# local files -------------------------------------------------------------------------------------


def test_csv_file_loads_as_stream_named_after_its_stem(tmp_path):
    path = write(tmp_path / "in" / "Orders 2024.csv", ORDERS_CSV)
    source = source_for(path=str(path))
    assert list(source.resources) == ["orders_2024"]
    load(tmp_path, source)
    assert query(tmp_path, "select id, amount, status from ds.orders_2024 order by id") == [
        (1, 10.5, "paid"),
        (2, 20.0, "open"),
        (3, 7.25, "paid"),
    ]


def test_parquet_file_loads(tmp_path):
    path = write_parquet(
        tmp_path / "in" / "customers.parquet",
        {"id": [1, 2], "name": ["Ada", "Grace"], "active": [True, False]},
    )
    load(tmp_path, source_for(path=str(path)))
    assert query(tmp_path, "select id, name, active from ds.customers order by id") == [
        (1, "Ada", True),
        (2, "Grace", False),
    ]


@pytest.mark.parametrize("extension", [".jsonl", ".ndjson"])
def test_json_lines_file_loads(tmp_path, extension):
    lines = [{"id": 1, "event": "signup"}, {"id": 2, "event": "upgrade", "plan": "pro"}]
    path = write(tmp_path / "in" / f"events{extension}", "\n".join(map(json.dumps, lines)))
    load(tmp_path, source_for(path=str(path)))
    assert query(tmp_path, "select id, event, plan from ds.events order by id") == [
        (1, "signup", None),
        (2, "upgrade", "pro"),
    ]


def test_directory_loads_every_supported_file_in_it(tmp_path):
    folder = tmp_path / "in"
    write(folder / "orders.csv", ORDERS_CSV)
    write_parquet(folder / "customers.parquet", {"id": [1, 2]})
    write(folder / "events.jsonl", '{"id": 1}\n')
    write(folder / "README.md", "not data")
    write(folder / ".hidden.csv", "id\n9\n")
    write(folder / "_SUCCESS", "")
    write(folder / "nested" / "deeper.csv", "id\n1\n")
    source = source_for(path=str(folder))
    assert sorted(source.resources) == ["customers", "events", "orders"]
    load(tmp_path, source)
    assert tables(tmp_path) == {"customers", "events", "orders"}
    assert query(tmp_path, "select count(*) from ds.orders") == [(3,)]


def test_glob_selects_the_matching_files(tmp_path):
    folder = tmp_path / "in"
    write(folder / "orders.csv", ORDERS_CSV)
    write(folder / "refunds.csv", "id,amount\n1,5\n")
    write_parquet(folder / "customers.parquet", {"id": [1]})
    write(folder / "2025" / "invoices.csv", "id\n1\n")
    assert sorted(source_for(path=str(folder / "*.csv")).resources) == ["orders", "refunds"]
    recursive = source_for(path=str(folder / "**" / "*.csv"))
    assert sorted(recursive.resources) == ["invoices", "orders", "refunds"]
    load(tmp_path, recursive)
    assert tables(tmp_path) == {"invoices", "orders", "refunds"}


def test_format_field_reads_files_whatever_their_extension(tmp_path):
    path = write(tmp_path / "in" / "export.txt", "id,name\n1,a\n")
    load(tmp_path, source_for(path=str(path), format="csv"))
    assert query(tmp_path, "select id, name from ds.export") == [(1, "a")]


def test_reloading_without_primary_key_replaces_the_table(tmp_path):
    path = write(tmp_path / "in" / "orders.csv", ORDERS_CSV)
    load(tmp_path, source_for(path=str(path)))
    load(tmp_path, source_for(path=str(path)))
    assert query(tmp_path, "select count(*) from ds.orders") == [(3,)]
    write(path, "id,amount,status\n1,10.5,refunded\n")
    load(tmp_path, source_for(path=str(path)))
    assert query(tmp_path, "select id, status from ds.orders") == [(1, "refunded")]


def test_reloading_with_primary_key_merges_on_it(tmp_path):
    path = write(tmp_path / "in" / "orders.csv", ORDERS_CSV)
    source = source_for(path=str(path), primary_key="id")
    assert source.resources["orders"].write_disposition == "merge"
    load(tmp_path, source)
    load(tmp_path, source_for(path=str(path), primary_key="id"))
    assert query(tmp_path, "select count(*) from ds.orders") == [(3,)]
    write(path, "id,amount,status\n2,20,paid\n4,1,open\n")
    load(tmp_path, source_for(path=str(path), primary_key="id"))
    assert query(tmp_path, "select id, status from ds.orders order by id") == [
        (1, "paid"),
        (2, "paid"),
        (3, "paid"),
        (4, "open"),
    ]


def test_primary_key_matches_the_column_as_dlt_names_it(tmp_path):
    path = write(tmp_path / "in" / "deals.csv", "Deal ID,Stage\n7,won\n")
    load(tmp_path, source_for(path=str(path), primary_key="deal_id"))
    load(tmp_path, source_for(path=str(path), primary_key="deal_id"))
    assert query(tmp_path, "select deal_id, stage from ds.deals") == [(7, "won")]


# bad input ---------------------------------------------------------------------------------------


def test_path_matching_nothing_is_refused(tmp_path):
    with pytest.raises(NotFoundError, match="matches no file"):
        source_for(path=str(tmp_path / "absent.csv"))
    with pytest.raises(NotFoundError, match="matches no file"):
        source_for(path=str(tmp_path / "*.parquet"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(NotFoundError, match="matches no file"):
        source_for(path=str(tmp_path / "empty"))


def test_unsupported_extension_is_refused(tmp_path):
    path = write(tmp_path / "notes.txt", "hello")
    with pytest.raises(AtsparkError, match=r"unsupported file type \.txt"):
        source_for(path=str(path))
    with pytest.raises(AtsparkError, match="matches no supported file"):
        source_for(path=str(tmp_path))


def test_two_files_with_one_stem_are_refused(tmp_path):
    write(tmp_path / "in" / "orders.csv", ORDERS_CSV)
    write_parquet(tmp_path / "in" / "orders.parquet", {"id": [1]})
    with pytest.raises(AtsparkError, match="would both load into stream 'orders'") as refused:
        source_for(path=str(tmp_path / "in"))
    assert "orders.csv" in str(refused.value) and "orders.parquet" in str(refused.value)


def test_bad_config_is_refused(tmp_path):
    path = write(tmp_path / "orders.csv", ORDERS_CSV)
    with pytest.raises(AtsparkError, match="unknown file format 'xlsx'"):
        source_for(path=str(path), format="xlsx")
    with pytest.raises(AtsparkError, match="no config field delimiter"):
        source_for(path=str(path), delimiter=";")
    with pytest.raises(AtsparkError, match="needs config path"):
        source_for()
    with pytest.raises(AtsparkError, match="both aws_access_key_id and aws_secret_access_key"):
        source_for({"aws_access_key_id": "AKIAONLYHALF"}, path=str(path))


def test_corrupt_parquet_file_gives_a_clear_error(tmp_path):
    path = write(tmp_path / "in" / "broken.parquet", "this is not parquet")
    error = extraction_error(tmp_path, source_for(path=str(path)))
    assert str(error).startswith(f"cannot read {path} as Parquet: ")
    assert "Traceback" not in str(error) and "\n" not in str(error)


def test_malformed_csv_file_gives_a_clear_error(tmp_path):
    path = write(tmp_path / "in" / "orders.csv", "id,amount\n1,2\n3,4,5\n")
    error = extraction_error(tmp_path, source_for(path=str(path)))
    assert str(error).startswith(f"cannot read {path} as CSV: ")


def test_missing_primary_key_column_names_file_and_column(tmp_path):
    path = write(tmp_path / "in" / "orders.csv", ORDERS_CSV)
    error = extraction_error(tmp_path, source_for(path=str(path), primary_key="order_id"))
    assert str(error) == (
        f"file {path} has no primary key column 'order_id' (its columns: id, amount, status)"
    )


def test_rows_without_primary_key_value_are_refused(tmp_path):
    path = write(tmp_path / "in" / "orders.csv", "id,amount\n1,2\n,3\n")
    error = extraction_error(tmp_path, source_for(path=str(path), primary_key="id"))
    assert "1 row(s) without a value in primary key column 'id'" in str(error)


# local roots -------------------------------------------------------------------------------------


def rooted(root: Path, path: str) -> ConnectionSpec:
    return ConnectionSpec("acme", "crm", {"path": path}, {}, Runtime(LocalFiles(home=root)))


def outside(root: Path, path: str, when: str) -> None:
    """Assert that ``path`` is refused for a connection whose only root is ``root``, when the
    connection is validated or, on its own, when its files are located."""
    connection = rooted(root, path)
    with pytest.raises(AtsparkError, match="is outside the folders files connections may read"):
        if when == "validate":
            connector.validate(connection)
        else:
            connector.source(connection)


@pytest.fixture
def root(tmp_path) -> Path:
    """A root holding ``orders.csv``, beside a ``secret/`` folder outside it."""
    write(tmp_path / "root" / "orders.csv", ORDERS_CSV)
    write(tmp_path / "secret" / "passwords.csv", "user,password\nroot,hunter2\n")
    return tmp_path / "root"


@pytest.mark.parametrize("when", ["validate", "source"])
def test_a_path_outside_the_roots_is_refused(root, when):
    for path in [
        str(root.parent / "secret" / "passwords.csv"),
        str(root.parent / "secret"),
        str(root.parent / "secret" / "*.csv"),
        "/etc/passwd",
        "file:///etc/passwd",
        str(root.parent / "root-sibling"),  # shares the root's name as a prefix, not as a folder
    ]:
        outside(root, path, when)


@pytest.mark.parametrize("when", ["validate", "source"])
def test_dot_dot_out_of_a_root_is_refused(root, when):
    outside(root, str(root / ".." / "secret" / "passwords.csv"), when)
    outside(root, "../secret/passwords.csv", when)  # relative: from the first root
    outside(root, str(root / "**" / ".." / ".." / "secret" / "*.csv"), when)


def test_a_symlink_out_of_a_root_is_refused(root):
    (root / "leak.csv").symlink_to(root.parent / "secret" / "passwords.csv")
    (root / "leaked-folder").symlink_to(root.parent / "secret", target_is_directory=True)
    outside(root, str(root / "leak.csv"), "validate")
    outside(root, str(root / "leaked-folder"), "validate")
    outside(root, str(root / "leaked-folder" / "*.csv"), "validate")
    for matching_the_link in [str(root), str(root / "*.csv"), str(root / "**" / "*.csv")]:
        outside(root, matching_the_link, "source")


def test_a_file_swapped_for_a_symlink_after_it_was_located_is_refused(root, tmp_path):
    connection = rooted(root, str(root / "orders.csv"))
    source = connector.source(connection)
    (root / "orders.csv").unlink()
    (root / "orders.csv").symlink_to(root.parent / "secret" / "passwords.csv")
    error = extraction_error(tmp_path, source)
    assert "is outside the folders files connections may read" in str(error)
    assert "hunter2" not in str(error)


def test_a_symlink_that_stays_inside_the_root_is_read(root, tmp_path):
    (root / "latest.csv").symlink_to(root / "orders.csv")
    load(tmp_path, connector.source(rooted(root, str(root / "latest.csv"))))
    assert query(tmp_path, "select count(*) from ds.latest") == [(3,)]


def test_a_relative_path_is_read_from_the_first_root(root, tmp_path):
    connection = rooted(root, "orders.csv")
    connector.validate(connection)
    load(tmp_path, connector.source(connection))
    assert query(tmp_path, "select count(*) from ds.orders") == [(3,)]


def test_links_looping_back_under_a_glob_are_not_followed(root, tmp_path):
    (root / "lp").mkdir()
    write(root / "lp" / "deals.csv", "id\n1\n")
    (root / "lp" / "self").symlink_to(".", target_is_directory=True)
    (root / "lp" / "up").symlink_to("..", target_is_directory=True)
    source = connector.source(rooted(root, "lp/**/*.csv"))  # returns: no walk through the links
    assert list(source.resources) == ["deals"]


def test_a_glob_matches_as_for_s3_keys_one_segment_per_star(root):
    write(root / "a" / "b" / "deep.csv", "id\n1\n")
    write(root / "a" / "top.csv", "id\n1\n")
    assert list(connector.source(rooted(root, "a/*.csv")).resources) == ["top"]
    assert list(connector.source(rooted(root, "*/*/*.csv")).resources) == ["deep"]
    assert sorted(connector.source(rooted(root, "a/**/*.csv")).resources) == ["deep", "top"]


def test_off_limits_folders_stay_closed_inside_an_allowed_root(tmp_path):
    home = tmp_path / "home"
    own = home / "uploads" / "acme"
    write(own / "mine.csv", "id\n1\n")
    write(home / "keyring.json", '{"keys": "secret"}\n')
    write(home / "uploads" / "globex" / "theirs.csv", "id\n2\n")
    write(tmp_path / "shared" / "ok.csv", "id\n3\n")
    access = LocalFiles(home=own, roots=(tmp_path,), off_limits=(home,))
    for path in [str(home / "keyring.json"), "../globex/theirs.csv", str(home / "uploads")]:
        connection = ConnectionSpec("acme", "crm", {"path": path}, {}, Runtime(access))
        with pytest.raises(AtsparkError, match="outside the folders files connections may read"):
            connector.validate(connection)
    for path in ["mine.csv", str(tmp_path / "shared" / "ok.csv")]:
        connector.validate(ConnectionSpec("acme", "crm", {"path": path}, {}, Runtime(access)))


def test_without_roots_no_local_path_is_read(root):
    for path in [str(root / "orders.csv"), "orders.csv"]:
        connection = ConnectionSpec("acme", "crm", {"path": path}, {}, Runtime())
        with pytest.raises(AtsparkError, match=r"outside the folders .* \(none\)"):
            connector.validate(connection)


# S3 (moto) ---------------------------------------------------------------------------------------


@pytest.fixture
def bucket(aws_env) -> str:
    """A fresh bucket on the session's moto server, holding a few files."""
    name = f"files-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=aws_env, region_name="us-east-1")
    client.create_bucket(Bucket=name)
    objects = {
        "exports/orders.csv": ORDERS_CSV.encode(),
        "exports/customers.parquet": parquet_bytes({"id": [1, 2], "name": ["Ada", "Grace"]}),
        "exports/events.jsonl": b'{"id": 1, "kind": "login"}\n',
        "exports/notes.txt": b"skipped",
        "exports/2025/invoices.parquet": parquet_bytes({"id": [10]}),
        "exports-old/stale.csv": b"id\n1\n",
    }
    for key, body in objects.items():
        client.put_object(Bucket=name, Key=key, Body=body)
    return name


def test_s3_prefix_loads_the_supported_files_directly_under_it(tmp_path, bucket):
    source = source_for(path=f"s3://{bucket}/exports")
    assert sorted(source.resources) == ["customers", "events", "orders"]
    load(tmp_path, source)
    assert tables(tmp_path) == {"customers", "events", "orders"}
    assert query(tmp_path, "select id, name from ds.customers order by id") == [
        (1, "Ada"),
        (2, "Grace"),
    ]
    assert query(tmp_path, "select sum(amount) from ds.orders") == [(37.75,)]


def test_s3_glob_and_single_object(tmp_path, bucket):
    assert list(source_for(path=f"s3://{bucket}/exports/*.parquet").resources) == ["customers"]
    everywhere = source_for(path=f"s3://{bucket}/exports/**/*.parquet")
    assert sorted(everywhere.resources) == ["customers", "invoices"]
    single = source_for(path=f"s3://{bucket}/exports/orders.csv", primary_key="id")
    assert list(single.resources) == ["orders"]
    load(tmp_path, single)
    load(tmp_path, source_for(path=f"s3://{bucket}/exports/orders.csv", primary_key="id"))
    assert query(tmp_path, "select count(*) from ds.orders") == [(3,)]


def test_s3_errors_are_clear(bucket):
    with pytest.raises(NotFoundError, match="S3 bucket 'no-such-bucket-here' does not exist"):
        source_for(path="s3://no-such-bucket-here/exports")
    with pytest.raises(NotFoundError, match="matches no file"):
        source_for(path=f"s3://{bucket}/nothing-here")
    with pytest.raises(NotFoundError, match="matches no file"):
        source_for(path=f"s3://{bucket}/exports/*.xlsx")
    with pytest.raises(AtsparkError, match=r"unsupported file type \.txt"):
        source_for(path=f"s3://{bucket}/exports/notes.txt")


@pytest.fixture(scope="module")
def guarded_s3(tmp_path_factory):
    """A moto server of its own that checks credentials and IAM policies.

    Set up while moto still lets anyone in: a bucket, a user allowed to read it, a user with
    no rights. Then authentication is switched on for every request.
    """
    port = free_port()
    log = tmp_path_factory.mktemp("guarded-moto") / "moto.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url)
        setup = {
            "endpoint_url": url,
            "region_name": "us-east-1",
            "aws_access_key_id": "setup",
            "aws_secret_access_key": "setup",
        }
        iam, s3 = boto3.client("iam", **setup), boto3.client("s3", **setup)
        s3.create_bucket(Bucket="guarded")
        s3.put_object(Bucket="guarded", Key="data/orders.csv", Body=ORDERS_CSV.encode())
        keys = {}
        for user in ("reader", "outsider"):
            iam.create_user(UserName=user)
            key = iam.create_access_key(UserName=user)["AccessKey"]
            keys[user] = {
                "aws_access_key_id": key["AccessKeyId"],
                "aws_secret_access_key": key["SecretAccessKey"],
            }
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject"], "Resource": "*"}
            ],
        }
        iam.put_user_policy(UserName="reader", PolicyName="read", PolicyDocument=json.dumps(policy))
        httpx.post(f"{url}/moto-api/reset-auth", content=b"0").raise_for_status()
        yield SimpleNamespace(url=url, **keys)
    finally:
        process.terminate()
        process.wait(10)


def test_s3_uses_the_connection_endpoint_and_credentials(tmp_path, aws_env, guarded_s3):
    source = source_for(
        guarded_s3.reader, path="s3://guarded/data/orders.csv", endpoint_url=guarded_s3.url
    )
    load(tmp_path, source)
    assert query(tmp_path, "select count(*) from ds.orders") == [(3,)]


@pytest.mark.parametrize("who", ["outsider", "stranger"])
def test_s3_access_denied_is_clear_and_leaks_no_credentials(aws_env, guarded_s3, who):
    secrets = getattr(
        guarded_s3,
        who,
        {"aws_access_key_id": "AKIASTRANGER0000", "aws_secret_access_key": "s3cr3t-stranger"},
    )
    with pytest.raises(AtsparkError, match=r"^access to s3://guarded/data denied") as denied:
        source_for(secrets, path="s3://guarded/data", endpoint_url=guarded_s3.url)
    message = str(denied.value)
    assert secrets["aws_access_key_id"] not in message
    assert secrets["aws_secret_access_key"] not in message
    assert denied.value.__cause__ is None and denied.value.__suppress_context__
