"""``FilesConnector``: loads CSV, Parquet and JSON Lines files from a local path or S3."""

import threading
from typing import Any

from connectors.base import ConnectionSpec, Connector, ConnectorInfo
from connectors.config_schema import object_schema, secret
from connectors.files.formats import FORMAT_NAMES, parse_format_override

INFO = ConnectorInfo(
    name="files",
    title="Files",
    category="files",
    auth="aws",
    description="CSV, Parquet and JSON Lines files from a local path or an S3 bucket",
    docs_url="https://github.com/atspark/atspark/blob/main/docs/connectors.md#files",
    config_schema=object_schema(
        {
            "path": {
                "type": "string",
                "minLength": 1,
                "description": "A file, a directory or a glob; local, or s3://bucket/prefix "
                "(s3://b/p/*.parquet)",
            },
            "primary_key": {
                "type": "string",
                "description": "Column to merge on; without it every load replaces the tables",
            },
            "format": {
                "type": "string",
                "examples": list(FORMAT_NAMES),
                "description": "Read every matched file in this format",
            },
            "endpoint_url": {
                "type": "string",
                "description": "Endpoint of an S3-compatible server, instead of AWS S3",
            },
            "aws_access_key_id": secret(
                "AWS access key id; without it, the default AWS credentials"
            ),
            "aws_secret_access_key": secret("AWS secret access key, given with the key id"),
        },
        required=["path"],
    ),
)


class FilesConnector(Connector):
    """One stream per file, named after the file's stem (``orders.csv`` -> ``orders``)."""

    def __init__(self) -> None:
        super().__init__(INFO)

    def validate(self, connection: ConnectionSpec) -> None:
        """The fields, the format, both AWS keys or neither, and a local path inside the roots."""
        from connectors.files import s3
        from connectors.files.locate import check_local_path

        config, secrets = connection.config, connection.secrets
        parse_format_override(config.get("format"))
        super().validate(connection)
        if bool(secrets.get("aws_access_key_id")) != bool(secrets.get("aws_secret_access_key")):
            raise s3.partial_credentials_error()
        path = config.get("path", "").strip()
        if path and not s3.is_s3(path):
            check_local_path(path, connection.runtime.local_files)

    def source(self, connection: ConnectionSpec):
        """Locate the files now (bad paths fail here); read each when dlt extracts it."""
        from connectors.files.locate import locate
        from connectors.files.source import build_source

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
                from connectors.files import s3

                assert self._connection is not None
                self._client = s3.make_client(self._connection)
                self._connection = None  # the secrets are not kept past their use
            return self._client
