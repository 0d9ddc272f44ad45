"""Tenant data keys: created wrapped, unwrapped on demand, rotated, shredded; and the
envelope encryption that uses them."""

from collections.abc import Mapping
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import delete, event, select
from sqlalchemy.orm import Session

from governance.crypto.data_key_cache import DataKeyCache
from governance.crypto.envelope import KEY_SIZE, context_aad, seal, unseal
from governance.crypto.key_manager import KeyManager
from governance.crypto.purposes import PURPOSE_WAREHOUSE, TENANT_PURPOSES
from governance.errors import DecryptionError
from governance.store.models import DataKey, utcnow

if TYPE_CHECKING:
    from governance.store.db import ControlPlane

_RESERVED_CONTEXT = frozenset({"tenant", "purpose"})


def _key_context(tenant_id: str, purpose: str) -> dict[str, str]:
    return {"tenant": tenant_id, "purpose": purpose}


def _blob_aad(tenant_id: str, purpose: str, context: Mapping[str, str] | None) -> bytes:
    extra = dict(context or {})
    if extra.keys() & _RESERVED_CONTEXT:
        raise ValueError("'tenant' and 'purpose' are bound by KeyService, not by the caller")
    return context_aad({**extra, **_key_context(tenant_id, purpose)})


class KeyService:
    """One data key per (tenant, purpose), stored only wrapped in the control plane.

    Blobs are sealed with AAD binding tenant, purpose and the caller's extra context (such
    as a connection name), so a blob opens only where it was sealed. A tenant without keys
    (shredded) fails closed with :class:`DecryptionError`.
    """

    def __init__(
        self, control_plane: "ControlPlane", key_manager: KeyManager, cache: DataKeyCache
    ) -> None:
        self.control_plane = control_plane
        self.key_manager = key_manager
        self.cache = cache

    def create_tenant_keys(self, session: Session, tenant_id: str) -> None:
        """Add a wrapped data key for every purpose the tenant lacks to ``session`` (the caller
        commits): all of them for a new tenant; after an upgrade, those of new purposes.

        The plaintext keys are cached at once, so the rest of the caller's transaction can use
        them before the rows are committed; a rollback evicts them.
        """
        held = set(session.scalars(select(DataKey.purpose).where(DataKey.tenant_id == tenant_id)))
        for purpose in (p for p in TENANT_PURPOSES if p not in held):
            generated = self.key_manager.generate_data_key(_key_context(tenant_id, purpose))
            session.add(
                DataKey(
                    tenant_id=tenant_id,
                    purpose=purpose,
                    master_key_id=generated.master_key_id,
                    wrapped_key=generated.wrapped,
                )
            )
            self.cache.get(tenant_id, purpose, lambda key=generated.plaintext: key)
        event.listen(
            session, "after_soft_rollback", lambda *_: self.cache.evict(tenant_id), once=True
        )

    def data_key(self, tenant_id: str, purpose: str) -> bytes:
        """The plaintext data key, from the cache or unwrapped by the key manager."""
        return self.cache.get(tenant_id, purpose, lambda: self._unwrap(tenant_id, purpose))

    def encrypt(
        self,
        tenant_id: str,
        purpose: str,
        plaintext: bytes,
        context: Mapping[str, str] | None = None,
    ) -> bytearray:
        """Seal ``plaintext`` for this tenant, purpose and context (see ``envelope.seal``)."""
        aad = _blob_aad(tenant_id, purpose, context)
        return seal(self.data_key(tenant_id, purpose), plaintext, aad)

    def decrypt(
        self,
        tenant_id: str,
        purpose: str,
        blob: bytes,
        context: Mapping[str, str] | None = None,
    ) -> bytes:
        """Open a blob from :meth:`encrypt` with the same tenant, purpose and context."""
        aad = _blob_aad(tenant_id, purpose, context)
        return unseal(self.data_key(tenant_id, purpose), blob, aad)

    def warehouse_key(self, tenant_id: str) -> str:
        """Hex key for DuckDB's ``ATTACH ... (ENCRYPTION_KEY '...')``, derived by HKDF-SHA256."""
        info = context_aad({"purpose": "duckdb-warehouse", "tenant": tenant_id})
        hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_SIZE, salt=None, info=info)
        return hkdf.derive(self.data_key(tenant_id, PURPOSE_WAREHOUSE)).hex()

    def rotate(self, session: Session, tenant_id: str) -> int:
        """Rewrap the tenant's data keys under the current master key in ``session``; returns
        how many. The plaintext data keys do not change, so existing blobs still decrypt."""
        rows = session.scalars(
            select(DataKey).where(DataKey.tenant_id == tenant_id).with_for_update()
        ).all()
        for row in rows:
            row.wrapped_key, row.master_key_id = self.key_manager.rewrap(
                row.wrapped_key, row.master_key_id, _key_context(tenant_id, row.purpose)
            )
            row.rotated_at = utcnow()
        event.listen(session, "after_commit", lambda _: self.cache.evict(tenant_id), once=True)
        return len(rows)

    def shred(self, session: Session, tenant_id: str) -> int:
        """Delete the tenant's data keys in ``session``: once committed, every blob sealed
        under them is unreadable. Returns how many keys were deleted.

        The cache is evicted now and again when ``session`` commits, so a concurrent load
        that read the keys before the commit cannot keep them.
        """
        deleted = session.execute(delete(DataKey).where(DataKey.tenant_id == tenant_id))
        self.cache.evict(tenant_id)
        event.listen(session, "after_commit", lambda _: self.cache.evict(tenant_id), once=True)
        return deleted.rowcount

    def _unwrap(self, tenant_id: str, purpose: str) -> bytes:
        with self.control_plane.read_session() as session:
            row = session.execute(
                select(DataKey.wrapped_key, DataKey.master_key_id).where(
                    DataKey.tenant_id == tenant_id, DataKey.purpose == purpose
                )
            ).one_or_none()
        if row is None:
            raise DecryptionError(
                f"no {purpose!r} data key for tenant {tenant_id}: keys for this tenant are gone "
                "(shredded) or were never created"
            )
        return self.key_manager.unwrap(
            row.wrapped_key, row.master_key_id, _key_context(tenant_id, purpose)
        )
