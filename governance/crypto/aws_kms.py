"""The production key manager: AWS KMS (or a local AWS-compatible server) through boto3."""

from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from governance.crypto.key_manager import EncryptionContext, GeneratedDataKey, KeyManager
from governance.errors import AtsparkError, DecryptionError

# KMS answers meaning "this ciphertext, key or context will not decrypt".
_REFUSALS = frozenset(
    {
        "AccessDeniedException",
        "DisabledException",
        "IncorrectKeyException",
        "InvalidCiphertextException",
        "KMSInvalidStateException",
        "NotFoundException",
    }
)
_CLIENT_CONFIG = Config(
    connect_timeout=5, read_timeout=15, retries={"max_attempts": 4, "mode": "standard"}
)


class AwsKms(KeyManager):
    """Data keys from AWS KMS under one symmetric KMS key (id, ARN or alias).

    Before each use the key's state is read with DescribeKey and anything but ``Enabled``
    is refused, so a disabled key or one pending deletion fails closed even on servers
    (such as moto) that would still use it. Errors name the operation, the AWS error code
    and the key, never key material.
    """

    def __init__(
        self, key_id: str, endpoint_url: str | None = None, region: str = "us-east-1"
    ) -> None:
        self.key_id = key_id
        self.calls = 0
        self._client = boto3.client(
            "kms", endpoint_url=endpoint_url, region_name=region, config=_CLIENT_CONFIG
        )

    @property
    def current_master_key_id(self) -> str:
        """The ARN ``key_id`` resolves to now (an alias may be retargeted)."""
        return self._enabled_key_arn(self.key_id, AtsparkError)

    def generate_data_key(self, context: EncryptionContext) -> GeneratedDataKey:
        response = self._call(
            "generate_data_key",
            AtsparkError,
            KeyId=self.current_master_key_id,
            KeySpec="AES_256",
            EncryptionContext=dict(context),
        )
        return GeneratedDataKey(
            response["Plaintext"], response["CiphertextBlob"], response["KeyId"]
        )

    def unwrap(self, wrapped: bytes, master_key_id: str, context: EncryptionContext) -> bytes:
        self._enabled_key_arn(master_key_id, DecryptionError)
        response = self._call(
            "decrypt",
            DecryptionError,
            CiphertextBlob=wrapped,
            KeyId=master_key_id,
            EncryptionContext=dict(context),
        )
        return response["Plaintext"]

    def rewrap(
        self, wrapped: bytes, master_key_id: str, context: EncryptionContext
    ) -> tuple[bytes, str]:
        self._enabled_key_arn(master_key_id, DecryptionError)
        response = self._call(
            "re_encrypt",
            DecryptionError,
            CiphertextBlob=wrapped,
            SourceKeyId=master_key_id,
            SourceEncryptionContext=dict(context),
            DestinationKeyId=self.current_master_key_id,
            DestinationEncryptionContext=dict(context),
        )
        return response["CiphertextBlob"], response["KeyId"]

    def _enabled_key_arn(self, key_id: str, refusal: type[AtsparkError]) -> str:
        metadata = self._call("describe_key", refusal, KeyId=key_id)["KeyMetadata"]
        if metadata["KeyState"] != "Enabled":
            raise refusal(
                f"AWS KMS key {metadata['Arn']} is {metadata['KeyState']}, not Enabled: "
                "refusing to use it"
            )
        return metadata["Arn"]

    def _call(self, operation: str, refusal: type[AtsparkError], **params: Any) -> dict[str, Any]:
        """One KMS request; a refusal raises ``refusal``, anything else AtsparkError."""
        self.calls += 1
        key = params.get("KeyId") or params.get("SourceKeyId")
        try:
            return getattr(self._client, operation)(**params)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "Unknown")
            error_class = refusal if code in _REFUSALS else AtsparkError
            raise error_class(f"AWS KMS {operation} with key {key} failed: {code}") from None
        except BotoCoreError as error:
            raise AtsparkError(
                f"AWS KMS {operation} with key {key} failed: {type(error).__name__}"
            ) from None
