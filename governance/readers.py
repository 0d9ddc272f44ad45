"""Who is reading: a tenant user turned into the compiler's ``Reader``."""

from sqlalchemy.orm import Session

from governance.permissions import UNRESTRICTED_ROLES
from governance.policies import policies_for
from governance.rls.context import Reader
from governance.store.models import Tenant, User


def reader_for(session: Session, tenant: Tenant, user: User) -> Reader:
    """The reader ``user`` of ``tenant`` is, with every policy granted to their roles and groups."""
    attributes: dict[str, tuple[str, ...]] = {}
    for attribute in user.attributes:
        attributes[attribute.key] = (*attributes.get(attribute.key, ()), attribute.value)
    return Reader(
        tenant_schema=tenant.slug,
        user_id=user.id,
        email=user.email,
        attributes=attributes,
        unrestricted=any(role.name in UNRESTRICTED_ROLES for role in user.roles),
        policies=policies_for(session, user),
    )
