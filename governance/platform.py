"""The platform kernel: settings, control plane, keys and warehouses, wired once per process."""

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from governance.errors import AtsparkError
from governance.settings import Settings

if TYPE_CHECKING:
    from governance.crypto.key_service import KeyService
    from governance.store.db import ControlPlane
    from governance.warehouse.tenant_warehouse import TenantWarehouse


class Platform:
    """What every surface (CLI, Dagster, app) needs, built lazily from one settings object."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    # The parts are imported when first used: a command that only lists tenants never loads the
    # key managers' SDKs or DuckDB.

    @cached_property
    def control_plane(self) -> "ControlPlane":
        from governance.store.db import ControlPlane

        home = self.settings.home
        try:
            home.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as error:
            raise AtsparkError(
                f"ATSPARK_HOME {home} is not a directory atspark can use: {error.strerror}"
            ) from None
        return ControlPlane(self.settings.control_plane_url)

    @cached_property
    def keys(self) -> "KeyService":
        from governance.crypto.data_key_cache import DataKeyCache
        from governance.crypto.factory import key_manager_from_settings
        from governance.crypto.key_service import KeyService

        return KeyService(
            self.control_plane,
            key_manager_from_settings(self.settings),
            DataKeyCache.from_settings(self.settings),
        )

    def warehouse_dir(self, tenant_id: str) -> Path:
        return self.settings.warehouses_dir / tenant_id

    def warehouse(self, tenant_id: str, schema: str) -> "TenantWarehouse":
        """The tenant's warehouse; its key is derived from the tenant's data key when needed."""
        from governance.warehouse.tenant_warehouse import TenantWarehouse

        return TenantWarehouse(
            self.warehouse_dir(tenant_id), schema, lambda: self.keys.warehouse_key(tenant_id)
        )
