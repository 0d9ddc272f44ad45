"""The ``platform`` resource: the process's :class:`Platform`, built on first use.

Nothing here reads the environment at import time: the default factory reads the settings when a
run or a sensor tick first asks for the platform, and keeps that one platform for the process (a
platform migrates and opens the control plane once, not on every sensor tick).

``governance.platform`` (with the control plane, KMS clients and Alembic behind it) is imported
only when a platform is built: every code server, run worker and ``dagster`` CLI call loads the
definitions, and most of them never need a platform.
"""

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

from dagster import InitResourceContext, ResourceDefinition, ResourceParam

if TYPE_CHECKING:
    from governance.platform import Platform

    PlatformParam = ResourceParam[Platform]
else:
    # Dagster resolves the annotation when decorating; it only needs the ResourceParam marker.
    PlatformParam = ResourceParam[object]

PLATFORM = "platform"
"""Resource key of the platform; assets and sensors take it as a parameter ``platform:
PlatformParam`` (Dagster matches resource parameters by name, so keep the two equal)."""

PlatformFactory = Callable[[], "Platform"]


@lru_cache(maxsize=1)
def platform_from_settings() -> "Platform":
    """The process-wide platform, from the process-wide settings (``ATSPARK_*``)."""
    from governance.platform import Platform
    from governance.settings import get_settings

    return Platform(get_settings())


def platform_resource(factory: PlatformFactory = platform_from_settings) -> ResourceDefinition:
    """A resource handing out ``factory()``; the factory decides how long a platform lives."""

    def build(_context: InitResourceContext) -> "Platform":
        return factory()

    return ResourceDefinition(
        resource_fn=build,
        description="The atspark platform: control plane, keys and tenant warehouses.",
    )
