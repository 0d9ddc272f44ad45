"""What a key manager does: make AES-256 data keys and wrap, unwrap and rewrap them."""

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field

EncryptionContext = Mapping[str, str]


@dataclass(frozen=True)
class GeneratedDataKey:
    """A fresh data key: use ``plaintext`` in memory, store only ``wrapped``."""

    plaintext: bytes = field(repr=False)
    wrapped: bytes
    master_key_id: str


class KeyManager(ABC):
    """Master keys live here and never leave it; data keys cross its boundary wrapped.

    The encryption context is bound to every wrapped key: unwrapping or rewrapping with a
    different context raises :class:`~governance.errors.DecryptionError`. ``calls`` counts
    key-manager operations (remote requests for a KMS), so callers can check caching works.
    """

    calls: int

    @property
    @abstractmethod
    def current_master_key_id(self) -> str:
        """The master key new data keys are wrapped under."""

    @abstractmethod
    def generate_data_key(self, context: EncryptionContext) -> GeneratedDataKey:
        """A new random 32-byte data key, wrapped under the current master key."""

    @abstractmethod
    def unwrap(self, wrapped: bytes, master_key_id: str, context: EncryptionContext) -> bytes:
        """The plaintext of a data key wrapped under ``master_key_id`` with ``context``."""

    @abstractmethod
    def rewrap(
        self, wrapped: bytes, master_key_id: str, context: EncryptionContext
    ) -> tuple[bytes, str]:
        """The same data key wrapped under the current master key, and that key's id."""
