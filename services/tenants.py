"""Tenants: create, list, delete (crypto-shred) and rotate their keys. The platform operator's."""

from governance import tenancy
from governance.tenancy import TenantInfo
from services.context import ServiceContext
from services.operations import operation, unit_of_work


def create_tenant(ctx: ServiceContext, slug: str, name: str | None = None) -> TenantInfo:
    """A tenant with its own data keys, built-in roles and encrypted warehouse, or nothing."""
    with operation(ctx, "tenant.create") as op, op.unit() as work:
        work.require_operator()
        tenant = tenancy.create_tenant(ctx.platform, work.session, slug, name)
        op.chain, work.tenant = tenant.id, tenant
        op.note(tenant=tenant.slug, name=tenant.name)
        return tenancy.tenant_info(tenant)


def list_tenants(ctx: ServiceContext) -> list[TenantInfo]:
    with unit_of_work(ctx) as work:
        work.require_operator()
        return tenancy.list_tenants(work.session)


def get_tenant(ctx: ServiceContext, slug: str) -> TenantInfo:
    with unit_of_work(ctx, slug) as work:
        return tenancy.tenant_info(work.tenant_row)


def set_tenant(ctx: ServiceContext, slug: str, backup_retention_days: int) -> None:
    """Change a tenant's settings: how many days of backups it keeps restorable."""
    with operation(ctx, "tenant.set", slug) as op, op.unit() as work:
        work.require_operator()
        tenancy.set_backup_retention(work.tenant_row, backup_retention_days)
        op.note(backup_retention_days=backup_retention_days)


def delete_tenant(ctx: ServiceContext, slug: str) -> None:
    """Crypto-shred a tenant: its keys, rows, warehouse and upload area are destroyed; its audit
    trail stays."""
    with operation(ctx, "tenant.delete", slug) as op, op.unit() as work:
        work.require_operator()
        tenancy.delete_tenant(ctx.platform, work.session, work.tenant_row)
    ctx.platform.control_plane.forget_deleted()


def rotate_keys(ctx: ServiceContext, slug: str) -> int:
    """Re-wrap the tenant's data keys under the current master key; returns how many."""
    with operation(ctx, "keys.rotate", slug) as op, op.unit() as work:
        work.require_operator()
        count = ctx.platform.keys.rotate(work.session, work.tenant_row.id)
        op.note(keys=count)
        return count


def add_missing_keys(ctx: ServiceContext) -> int:
    """Give every tenant a data key for each purpose it lacks (purposes an upgrade added);
    returns how many keys were made."""
    with unit_of_work(ctx) as work:
        work.require_operator()
        lacking = tenancy.tenants_lacking_keys(work.session)
    for slug, purposes in lacking.items():
        with operation(ctx, "keys.complete", slug) as op, op.unit() as work:
            ctx.platform.keys.create_tenant_keys(work.session, work.tenant_row.id)
            op.note(purposes=purposes)
    return sum(len(purposes) for purposes in lacking.values())
