"""``FilesConnector``: loads CSV, Parquet and JSON Lines files from a local path or S3."""

import threading
from typing import Any, ClassVar

from dlt.extract.source import DltSource

from connectors.base import ConnectionSpec, Connector, Field, StreamSpec
from connectors.files import s3
from connectors.files.formats import parse_format_override
from connectors.files.locate import check_local_path, locate
from connectors.files.source import build_source


class FilesConnector(Connector):
    """One stream per file, named after the file's stem (``orders.csv`` -> ``orders``)."""

    name = "files"
    description = "CSV, Parquet and JSON Lines files from a local path or an S3 bucket"
    config_fields: ClassVar[tuple[Field, ...]] = (
        Field(
            "path",
            "A file, a directory or a glob; local, or s3://bucket/prefix (s3://b/p/*.parquet)",
            required=True,
        ),
        Field("primary_key", "Column to merge on; without it every load replaces the tables"),
        Field("format", "csv, parquet or jsonl: read every matched file in this format"),
        Field("endpoint_url", "Endpoint of an S3-compatible server, instead of AWS S3"),
    )
    secret_fields: ClassVar[tuple[Field, ...]] = (
        Field("aws_access_key_id", "AWS access key id; without it, the default AWS credentials"),
        Field("aws_secret_access_key", "AWS secret access key, given with the key id"),
    )

    def streams(self) -> tuple[StreamSpec, ...]:
        """None known in advance: the streams are the files the connection's path names."""
        return ()

    def validate(self, connection: ConnectionSpec) -> None:
        """The fields, the format, both AWS keys or neither, and a local path inside the roots."""
        super().validate(connection)
        config, secrets = connection.config, connection.secrets
        parse_format_override(config.get("format"))
        if bool(secrets.get("aws_access_key_id")) != bool(secrets.get("aws_secret_access_key")):
            raise s3.partial_credentials_error()
        path = config.get("path", "").strip()
        if path and not s3.is_s3(path):
            check_local_path(path, connection.runtime.local_files)

    def source(self, connection: ConnectionSpec) -> DltSource:
        """Locate the files now (bad paths fail here); read each when dlt extracts it."""
        config, access = connection.config, connection.runtime.local_files
        client = _LazyS3Client(connection)
        files = locate(config["path"], parse_format_override(config.get("format")), client, access)
        primary_key = (config.get("primary_key") or "").strip() or None
        return build_source(files, primary_key, client, access)


class _LazyS3Client:
    """Makes the connection's S3 client on first call, only if a file is on S3."""

    def __init__(self, connection: ConnectionSpec) -> None:
        self._connection: ConnectionSpec | None = connection
        self._client: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return "<S3 client of a files connection>"

    def __call__(self) -> Any:
        with self._lock:
            if self._client is None:
                assert self._connection is not None
                self._client = s3.make_client(self._connection)
                self._connection = None  # the secrets are not kept past their use
            return self._client
