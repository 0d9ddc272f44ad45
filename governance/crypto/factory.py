"""The key manager the settings ask for (boto3 is imported only when AWS KMS is)."""

from governance.crypto.key_manager import KeyManager
from governance.crypto.local_keyring import LocalKeyring
from governance.settings import Settings


def key_manager_from_settings(settings: Settings) -> KeyManager:
    """``kms='local'``: the keyring file under home; ``kms='aws:<key>'``: that AWS KMS key."""
    if settings.kms == "local":
        return LocalKeyring(settings.keyring_path)
    from governance.crypto.aws_kms import AwsKms

    return AwsKms(
        settings.kms.removeprefix("aws:"),
        endpoint_url=settings.aws_endpoint_url,
        region=settings.aws_region,
    )
