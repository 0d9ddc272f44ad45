"""Key managers: the local keyring file and AWS KMS (against a real moto server)."""

import json
import os
import stat
import threading
import uuid
from dataclasses import replace

import boto3
import pytest

from governance.crypto.aws_kms import AwsKms
from governance.crypto.factory import key_manager_from_settings
from governance.crypto.local_keyring import LocalKeyring
from governance.errors import AtsparkError, DecryptionError

CONTEXT = {"tenant": "t1", "purpose": "connection-secrets"}


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


# --- local keyring -------------------------------------------------------------------------


@pytest.fixture
def keyring_path(tmp_path):
    return tmp_path / "home" / "keyring.json"


def test_keyring_is_created_on_first_use_with_owner_only_modes(keyring_path):
    keyring = LocalKeyring(keyring_path)
    assert not keyring_path.exists()
    keyring.generate_data_key(CONTEXT)
    assert mode(keyring_path) == 0o600
    assert mode(keyring_path.parent) == 0o700
    document = json.loads(keyring_path.read_text())
    assert [entry["id"] for entry in document["keys"]] == [document["current"]]


def test_keyring_is_created_once_and_survives_reload(keyring_path):
    first = LocalKeyring(keyring_path)
    generated = first.generate_data_key(CONTEXT)
    before = os.stat(keyring_path)

    reloaded = LocalKeyring(keyring_path)
    assert reloaded.current_master_key_id == generated.master_key_id
    assert reloaded.unwrap(generated.wrapped, generated.master_key_id, CONTEXT) == (
        generated.plaintext
    )
    reloaded.generate_data_key(CONTEXT)
    after = os.stat(keyring_path)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_concurrent_first_use_creates_one_master_key(keyring_path):
    keyrings = [LocalKeyring(keyring_path) for _ in range(8)]
    ids: list[str] = []
    threads = [
        threading.Thread(target=lambda k=k: ids.append(k.current_master_key_id)) for k in keyrings
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 1
    assert len(json.loads(keyring_path.read_text())["keys"]) == 1


def test_generated_data_key_is_aes_256_and_stored_only_wrapped(keyring_path):
    keyring = LocalKeyring(keyring_path)
    generated = keyring.generate_data_key(CONTEXT)
    assert len(generated.plaintext) == 32
    assert generated.plaintext not in generated.wrapped
    assert generated.master_key_id == keyring.current_master_key_id
    assert "plaintext" not in repr(generated)
    assert keyring.unwrap(generated.wrapped, generated.master_key_id, CONTEXT) == (
        generated.plaintext
    )


def test_context_mismatch_fails(keyring_path):
    keyring = LocalKeyring(keyring_path)
    generated = keyring.generate_data_key(CONTEXT)
    for context in ({**CONTEXT, "tenant": "t2"}, {**CONTEXT, "purpose": "warehouse"}, {}):
        with pytest.raises(DecryptionError):
            keyring.unwrap(generated.wrapped, generated.master_key_id, context)
        with pytest.raises(DecryptionError):
            keyring.rewrap(generated.wrapped, generated.master_key_id, context)


def test_unknown_master_key_fails(keyring_path):
    keyring = LocalKeyring(keyring_path)
    generated = keyring.generate_data_key(CONTEXT)
    with pytest.raises(DecryptionError, match="not in the keyring"):
        keyring.unwrap(generated.wrapped, "local-0000000000000000", CONTEXT)


def test_add_master_key_and_rewrap_then_old_key_can_be_removed(keyring_path):
    keyring = LocalKeyring(keyring_path)
    generated = keyring.generate_data_key(CONTEXT)
    old_id = generated.master_key_id

    new_id = keyring.add_master_key()
    assert new_id != old_id and keyring.current_master_key_id == new_id
    assert mode(keyring_path) == 0o600
    # the old key is kept: data wrapped under it still unwraps
    assert keyring.unwrap(generated.wrapped, old_id, CONTEXT) == generated.plaintext

    rewrapped, rewrapped_id = keyring.rewrap(generated.wrapped, old_id, CONTEXT)
    assert rewrapped_id == new_id and rewrapped != generated.wrapped

    document = json.loads(keyring_path.read_text())
    document["keys"] = [entry for entry in document["keys"] if entry["id"] != old_id]
    keyring_path.write_text(json.dumps(document))

    reloaded = LocalKeyring(keyring_path)
    assert reloaded.unwrap(rewrapped, new_id, CONTEXT) == generated.plaintext
    with pytest.raises(DecryptionError):
        reloaded.unwrap(generated.wrapped, old_id, CONTEXT)


def test_a_key_added_by_another_process_is_seen(keyring_path):
    server = LocalKeyring(keyring_path)
    server.generate_data_key(CONTEXT)
    new_id = LocalKeyring(keyring_path).add_master_key()
    assert server.current_master_key_id == new_id
    other = LocalKeyring(keyring_path).generate_data_key(CONTEXT)
    assert server.unwrap(other.wrapped, new_id, CONTEXT) == other.plaintext


def test_keyring_readable_by_others_is_refused(keyring_path):
    LocalKeyring(keyring_path).generate_data_key(CONTEXT)
    os.chmod(keyring_path, 0o644)
    with pytest.raises(AtsparkError, match="chmod 600"):
        LocalKeyring(keyring_path).generate_data_key(CONTEXT)


def test_corrupt_keyring_is_refused(keyring_path):
    keyring_path.parent.mkdir(mode=0o700)
    fd = os.open(keyring_path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b'{"format": "atspark-keyring/1", "current": "x", "keys": []}')
    os.close(fd)
    with pytest.raises(AtsparkError, match="not a valid"):
        LocalKeyring(keyring_path).generate_data_key(CONTEXT)


def test_keyring_counts_one_call_per_operation(keyring_path):
    keyring = LocalKeyring(keyring_path)
    generated = keyring.generate_data_key(CONTEXT)
    keyring.unwrap(generated.wrapped, generated.master_key_id, CONTEXT)
    keyring.rewrap(generated.wrapped, generated.master_key_id, CONTEXT)
    assert keyring.calls == 3


# --- AWS KMS on the moto server ------------------------------------------------------------


@pytest.fixture
def kms(aws_env):
    return boto3.client("kms", endpoint_url=aws_env, region_name="us-east-1")


def new_key(kms) -> dict:
    return kms.create_key(Description="atspark test")["KeyMetadata"]


def test_aws_generate_and_unwrap(kms, aws_env):
    key = new_key(kms)
    alias = f"alias/atspark-{uuid.uuid4().hex[:8]}"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    manager = AwsKms(alias, endpoint_url=aws_env)

    assert manager.current_master_key_id == key["Arn"]
    generated = manager.generate_data_key(CONTEXT)
    assert len(generated.plaintext) == 32
    assert generated.master_key_id == key["Arn"]
    assert generated.plaintext not in generated.wrapped
    assert manager.unwrap(generated.wrapped, generated.master_key_id, CONTEXT) == (
        generated.plaintext
    )


def test_aws_wrong_context_or_junk_fails(kms, aws_env):
    manager = AwsKms(new_key(kms)["KeyId"], endpoint_url=aws_env)
    generated = manager.generate_data_key(CONTEXT)
    with pytest.raises(DecryptionError, match="InvalidCiphertextException"):
        manager.unwrap(generated.wrapped, generated.master_key_id, {**CONTEXT, "tenant": "t2"})
    with pytest.raises(DecryptionError):
        manager.rewrap(generated.wrapped, generated.master_key_id, {**CONTEXT, "tenant": "t2"})
    with pytest.raises(DecryptionError):
        manager.unwrap(os.urandom(64), generated.master_key_id, CONTEXT)


def test_aws_rewrap_moves_a_data_key_to_the_current_key(kms, aws_env):
    old_key, new_key_ = new_key(kms), new_key(kms)
    generated = AwsKms(old_key["Arn"], endpoint_url=aws_env).generate_data_key(CONTEXT)

    manager = AwsKms(new_key_["Arn"], endpoint_url=aws_env)
    rewrapped, master_key_id = manager.rewrap(generated.wrapped, old_key["Arn"], CONTEXT)
    assert master_key_id == new_key_["Arn"]
    assert manager.unwrap(rewrapped, master_key_id, CONTEXT) == generated.plaintext
    with pytest.raises(DecryptionError):
        manager.unwrap(rewrapped, old_key["Arn"], CONTEXT)


def test_aws_disabled_key_fails_closed(kms, aws_env):
    key = new_key(kms)
    manager = AwsKms(key["KeyId"], endpoint_url=aws_env)
    generated = manager.generate_data_key(CONTEXT)
    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(AtsparkError, match="Disabled"):
        manager.generate_data_key(CONTEXT)
    with pytest.raises(DecryptionError, match="Disabled"):
        manager.unwrap(generated.wrapped, generated.master_key_id, CONTEXT)


def test_aws_key_pending_deletion_fails_closed(kms, aws_env):
    doomed, other = new_key(kms), new_key(kms)
    generated = AwsKms(other["Arn"], endpoint_url=aws_env).generate_data_key(CONTEXT)
    kms.schedule_key_deletion(KeyId=doomed["KeyId"], PendingWindowInDays=7)
    manager = AwsKms(doomed["KeyId"], endpoint_url=aws_env)
    with pytest.raises(AtsparkError, match="PendingDeletion"):
        manager.generate_data_key(CONTEXT)
    with pytest.raises(AtsparkError, match="PendingDeletion"):
        manager.rewrap(generated.wrapped, other["Arn"], CONTEXT)


def test_aws_unknown_key_and_unreachable_server_are_atspark_errors(aws_env):
    with pytest.raises(AtsparkError, match="NotFoundException"):
        AwsKms("alias/does-not-exist", endpoint_url=aws_env).generate_data_key(CONTEXT)
    with pytest.raises(AtsparkError, match="EndpointConnectionError"):
        AwsKms("alias/x", endpoint_url="http://127.0.0.1:9").generate_data_key(CONTEXT)


def test_aws_counts_remote_calls(kms, aws_env):
    manager = AwsKms(new_key(kms)["KeyId"], endpoint_url=aws_env)
    generated = manager.generate_data_key(CONTEXT)
    assert manager.calls == 2  # DescribeKey (state check) + GenerateDataKey
    manager.unwrap(generated.wrapped, generated.master_key_id, CONTEXT)
    assert manager.calls == 4  # DescribeKey + Decrypt


# --- factory -------------------------------------------------------------------------------


def test_factory_builds_the_local_keyring(settings):
    manager = key_manager_from_settings(settings)
    assert isinstance(manager, LocalKeyring) and manager.path == settings.keyring_path


def test_factory_builds_aws_kms(settings, kms, aws_env):
    key = new_key(kms)
    aws_settings = replace(settings, kms=f"aws:{key['KeyId']}", aws_endpoint_url=aws_env)
    manager = key_manager_from_settings(aws_settings)
    assert isinstance(manager, AwsKms)
    generated = manager.generate_data_key(CONTEXT)
    assert generated.master_key_id == key["Arn"]
