"""Who is reading: a tenant user turned into the compiler's ``Reader``."""

from governance.identity import find_user
from governance.permissions import UNRESTRICTED_ROLES
from governance.platform import Platform
from governance.policies import policies_for
from governance.rls.context import Reader
from governance.store.lookups import find_tenant


def reader_for(platform: Platform, tenant_slug: str, email: str) -> tuple[str, Reader]:
    """The tenant's id and the reader ``email`` is within it, with its granted policies."""
    with platform.control_plane.session() as session:
        tenant = find_tenant(session, tenant_slug)
        user = find_user(session, tenant, email)
        attributes: dict[str, tuple[str, ...]] = {}
        for attribute in user.attributes:
            attributes[attribute.key] = (*attributes.get(attribute.key, ()), attribute.value)
        reader = Reader(
            tenant_schema=tenant.slug,
            user_id=user.id,
            email=user.email,
            attributes=attributes,
            unrestricted=any(role.name in UNRESTRICTED_ROLES for role in user.roles),
            policies=policies_for(session, user),
        )
        return tenant.id, reader
