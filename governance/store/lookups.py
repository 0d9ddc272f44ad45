"""Looking up control-plane rows by the names people use."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.errors import NotFoundError
from governance.store.models import Tenant


def find_tenant(session: Session, slug: str) -> Tenant:
    tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise NotFoundError(f"no tenant {slug!r}")
    return tenant
