"""boto3 clients for the audit sinks, and their failures in our words.

botocore's own messages are never passed on: they can quote request details.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
)

from governance.errors import AtsparkError, NotFoundError
from governance.settings import Settings

_OPTIONS: dict[str, Any] = {
    "connect_timeout": 5,
    "read_timeout": 30,
    "retries": {"max_attempts": 4, "mode": "standard"},
}
_MISSING = {"NoSuchBucket": "no such bucket", "ResourceNotFoundException": "no such log group"}
_DENIED = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "ExpiredToken",
        "InvalidAccessKeyId",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
    }
)


def client(settings: Settings, service: str) -> Any:
    """A client for ``service`` on the platform's AWS endpoint (if any) and region."""
    import boto3  # a fifth of a second, paid by exports alone
    from botocore.config import Config

    options = dict(_OPTIONS)
    if settings.aws_endpoint_url and service == "s3":
        options["s3"] = {"addressing_style": "path"}
    try:
        return boto3.session.Session().client(
            service,
            endpoint_url=settings.aws_endpoint_url,
            region_name=settings.aws_region,
            config=Config(**options),
        )
    except ValueError:
        raise AtsparkError("ATSPARK_AWS_ENDPOINT_URL is not a valid URL") from None
    except BotoCoreError as error:
        raise AtsparkError(f"cannot create an AWS client ({type(error).__name__})") from None


@contextmanager
def aws_errors(target: str) -> Iterator[None]:
    """AWS failures while writing ``target`` as one clear line each."""
    try:
        yield
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", "unknown"))
        if code in _MISSING:
            raise NotFoundError(f"cannot write {target}: {_MISSING[code]}") from None
        if code in _DENIED:
            raise AtsparkError(
                f"access to {target} denied ({code}): check the AWS credentials and policies"
            ) from None
        raise AtsparkError(f"writing {target} failed ({code})") from None
    except NoCredentialsError:
        raise AtsparkError(
            f"no AWS credentials to write {target}: configure the default AWS credential chain"
        ) from None
    except EndpointConnectionError:
        raise AtsparkError(f"cannot reach AWS to write {target}") from None
    except BotoCoreError as error:
        raise AtsparkError(f"writing {target} failed ({type(error).__name__})") from None
