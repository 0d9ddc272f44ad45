"""The service context the CLI acts in: the platform, and the operator or a tenant user.

Heavy modules (the platform, the services) are imported when a command runs, so ``atspark
--help`` and a listing answer at once.
"""

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.context import ServiceContext


@lru_cache(maxsize=1)
def operator() -> "ServiceContext":
    """The platform, acted on by its operator (whoever runs the ``atspark`` command)."""
    from governance.platform import Platform
    from governance.settings import get_settings
    from services.context import Operator, ServiceContext

    return ServiceContext(Platform(get_settings()), Operator("cli"))


def as_user(email: str) -> "ServiceContext":
    """The same platform, acted on by one of a tenant's users (``--as EMAIL``)."""
    from services.context import TenantUser

    return operator().acting_as(TenantUser(email))
