"""S3 access for the files connector: the client, listing, downloads and error mapping.

botocore's own messages are never passed on: they can quote request details (an access key id,
for one). Every failure becomes an ``AtsparkError`` with a message of our own.
"""

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
)

from connectors.base import ConnectionSpec
from governance.errors import AtsparkError, NotFoundError

SCHEME = "s3://"
_CHUNK = 1 << 20

_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AllAccessDisabled",
        "Forbidden",
        "InvalidAccessKeyId",
        "InvalidClientTokenId",
        "InvalidToken",
        "ExpiredToken",
        "SignatureDoesNotMatch",
        "403",
    }
)


@dataclass(frozen=True)
class S3Url:
    bucket: str
    key: str

    def __str__(self) -> str:
        return f"{SCHEME}{self.bucket}/{self.key}"


def is_s3(path: str) -> bool:
    return path[: len(SCHEME)].lower() == SCHEME


def parse_s3_url(path: str) -> S3Url:
    """``s3://bucket/some/key`` as bucket and key (the key may be empty or a prefix)."""
    bucket, _, key = path[len(SCHEME) :].partition("/")
    if not bucket:
        raise AtsparkError(f"{path!r} names no S3 bucket (expected s3://bucket/prefix)")
    return S3Url(bucket, key)


def endpoint_url(connection: ConnectionSpec) -> str | None:
    """The S3 endpoint: the connection's ``endpoint_url``, else the platform's AWS endpoint.

    ``None`` leaves the choice to boto3 (AWS itself, or the standard ``AWS_ENDPOINT_URL*``).
    """
    given = (connection.config.get("endpoint_url") or "").strip()
    return given or connection.runtime.aws_endpoint_url


def make_client(connection: ConnectionSpec) -> Any:
    """A boto3 S3 client for a connection.

    Credentials come from the connection's secrets when both keys are given, otherwise from
    boto3's default chain (environment, profile, instance role).
    """
    key_id = connection.secrets.get("aws_access_key_id") or None
    secret = connection.secrets.get("aws_secret_access_key") or None
    if bool(key_id) != bool(secret):
        raise partial_credentials_error()
    endpoint = endpoint_url(connection)
    options: dict[str, Any] = {"retries": {"max_attempts": 3, "mode": "standard"}}
    if endpoint:
        options["s3"] = {"addressing_style": "path"}
    try:
        return boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            config=Config(**options),
        )
    except ValueError:
        raise AtsparkError("the files connector's endpoint_url is not a valid URL") from None
    except BotoCoreError as exc:
        raise AtsparkError(f"cannot create an S3 client ({type(exc).__name__})") from None


def partial_credentials_error() -> AtsparkError:
    return AtsparkError(
        "the files connector needs both aws_access_key_id and aws_secret_access_key, or neither"
    )


def s3_error(exc: Exception, url: S3Url) -> AtsparkError:
    """A user-facing error for a failed S3 request about ``url``; never quotes botocore."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code == "NoSuchBucket":
            return NotFoundError(f"S3 bucket {url.bucket!r} does not exist")
        if code in ("NoSuchKey", "404", "NotFound"):
            return NotFoundError(f"{url} does not exist")
        if code in _DENIED_CODES or status == 403:
            return AtsparkError(
                f"access to {url} denied ({code or status}): check the connection's AWS "
                "credentials and the bucket's policy"
            )
        return AtsparkError(f"S3 request for {url} failed ({code or status})")
    if isinstance(exc, NoCredentialsError):
        return AtsparkError(
            f"no AWS credentials for {url}: set the connection's aws_access_key_id and "
            "aws_secret_access_key, or configure the default AWS credential chain"
        )
    if isinstance(exc, EndpointConnectionError):
        return AtsparkError(f"cannot reach the S3 endpoint for {url}")
    if isinstance(exc, ParamValidationError):
        return AtsparkError(f"{url} is not a valid S3 location")
    return AtsparkError(f"S3 request for {url} failed ({type(exc).__name__})")


def list_keys(
    client: Any, url: S3Url, delimiter: str | None, limit: int | None = None
) -> Iterator[str]:
    """Object keys under ``url.key`` in key order (only the top level when ``delimiter``)."""
    params: dict[str, Any] = {"Bucket": url.bucket, "Prefix": url.key}
    if delimiter:
        params["Delimiter"] = delimiter
    if limit:
        params["PaginationConfig"] = {"MaxItems": limit, "PageSize": limit}
    try:
        for page in client.get_paginator("list_objects_v2").paginate(**params):
            for item in page.get("Contents", ()):
                yield item["Key"]
    except (ClientError, BotoCoreError) as exc:
        raise s3_error(exc, url) from None


def download(client: Any, url: S3Url, destination: Path) -> None:
    """Copy one object to a local file."""
    try:
        body = client.get_object(Bucket=url.bucket, Key=url.key)["Body"]
        with body, open(destination, "wb") as out:
            shutil.copyfileobj(body, out, _CHUNK)
    except (ClientError, BotoCoreError) as exc:
        raise s3_error(exc, url) from None
