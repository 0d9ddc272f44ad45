"""The embedded key manager: master keys in a JSON keyring file only its owner can read."""

import base64
import fcntl
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from governance.crypto.envelope import KEY_SIZE, context_aad, seal, unseal
from governance.crypto.key_manager import EncryptionContext, GeneratedDataKey, KeyManager
from governance.errors import AtsparkError, DecryptionError

FORMAT = "atspark-keyring/1"


class LocalKeyring(KeyManager):
    """Master keys in ``path``: ``{"format", "current", "keys": [{"id", "key", "created"}]}``.

    The file is created on first use with mode 0600 (its directory 0700 when created here),
    rewritten only atomically (temporary file, fsync, rename) under an exclusive lock, and
    refused if group or others can read it. Older master keys stay in the file so data keys
    wrapped under them still unwrap until they are rewrapped. A data key is wrapped by
    sealing it under the master key with the encryption context as associated data.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.calls = 0
        self._document: dict[str, Any] | None = None

    @property
    def current_master_key_id(self) -> str:
        """Read from the file each time, so a key added by another process is used at once."""
        return self._load(fresh=True)["current"]

    def generate_data_key(self, context: EncryptionContext) -> GeneratedDataKey:
        master_key_id = self.current_master_key_id
        plaintext = os.urandom(KEY_SIZE)
        self.calls += 1
        wrapped = seal(self._master_key(master_key_id), plaintext, context_aad(context))
        return GeneratedDataKey(plaintext, bytes(wrapped), master_key_id)

    def unwrap(self, wrapped: bytes, master_key_id: str, context: EncryptionContext) -> bytes:
        self.calls += 1
        return unseal(self._master_key(master_key_id), wrapped, context_aad(context))

    def rewrap(
        self, wrapped: bytes, master_key_id: str, context: EncryptionContext
    ) -> tuple[bytes, str]:
        self.calls += 1
        aad = context_aad(context)
        plaintext = unseal(self._master_key(master_key_id), wrapped, aad)
        current = self.current_master_key_id
        return bytes(seal(self._master_key(current), plaintext, aad)), current

    def add_master_key(self) -> str:
        """Add a new master key and make it current; returns its id. Old keys are kept."""
        self._load()
        with self._locked():
            document = self._read()
            entry = _new_entry()
            document["keys"].append(entry)
            document["current"] = entry["id"]
            self._write(document)
        self._document = document
        return entry["id"]

    def _load(self, fresh: bool = False) -> dict[str, Any]:
        if self._document is None or fresh:
            try:
                self._document = self._read()
            except FileNotFoundError:
                self._document = self._create()
        return self._document

    def _master_key(self, master_key_id: str) -> bytes:
        entry = _find(self._load(), master_key_id)
        if entry is None:  # another process may have added it since this one read the file
            entry = _find(self._load(fresh=True), master_key_id)
        if entry is None:
            raise DecryptionError(f"master key {master_key_id!r} is not in the keyring {self.path}")
        return base64.b64decode(entry["key"])

    def _create(self) -> dict[str, Any]:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with self._locked():
            if not self.path.exists():
                entry = _new_entry()
                self._write({"format": FORMAT, "current": entry["id"], "keys": [entry]})
            return self._read()

    def _read(self) -> dict[str, Any]:
        fd = os.open(self.path, os.O_RDONLY)
        with os.fdopen(fd, "rb") as source:
            if os.fstat(fd).st_mode & 0o077:
                raise AtsparkError(
                    f"keyring {self.path} is accessible by group or others; chmod 600 it"
                )
            try:
                document = json.loads(source.read())
                ids = [entry["id"] for entry in document["keys"]]
                valid = (
                    document["format"] == FORMAT
                    and document["current"] in ids
                    and all(_key_is_valid(entry["key"]) for entry in document["keys"])
                )
            except (ValueError, KeyError, TypeError, AttributeError):
                valid = False
        if not valid:
            raise AtsparkError(f"keyring {self.path} is not a valid {FORMAT} file")
        return document

    def _write(self, document: dict[str, Any]) -> None:
        temporary = self.path.with_name(f".{self.path.name}.{secrets.token_hex(8)}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as out:
                json.dump(document, out, indent=2)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """An exclusive lock across processes for creating or changing the keyring."""
        fd = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


def _new_entry() -> dict[str, str]:
    return {
        "id": f"local-{secrets.token_hex(8)}",
        "key": base64.b64encode(os.urandom(KEY_SIZE)).decode(),
        "created": datetime.now(UTC).isoformat(),
    }


def _find(document: dict[str, Any], master_key_id: str) -> dict[str, str] | None:
    return next((entry for entry in document["keys"] if entry["id"] == master_key_id), None)


def _key_is_valid(encoded: str) -> bool:
    return len(base64.b64decode(encoded, validate=True)) == KEY_SIZE
