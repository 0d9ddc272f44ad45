"""Row-level policies: filters on a table, granted to roles and groups."""

from collections.abc import Sequence

from governance import policies
from governance.policies import PolicyInfo
from services.context import ServiceContext
from services.operations import operation, unit_of_work

PERMISSION = "policies.manage"


def add_policy(
    ctx: ServiceContext,
    tenant: str,
    name: str,
    table: str,
    predicate: str,
    roles: Sequence[str] = (),
    groups: Sequence[str] = (),
) -> PolicyInfo:
    """Store a policy the compiler and DuckDB both read as written."""
    with operation(ctx, "policy.add", tenant) as op, op.unit(PERMISSION) as work:
        policy = policies.add_policy(
            work.session, work.tenant_row, name, table, predicate, roles, groups
        )
        op.note(policy=name, table=table, roles=policy.roles, groups=policy.groups)
        return policy


def list_policies(ctx: ServiceContext, tenant: str) -> list[PolicyInfo]:
    with unit_of_work(ctx, tenant, PERMISSION) as work:
        return policies.list_policies(work.session, work.tenant_row)


def remove_policy(ctx: ServiceContext, tenant: str, name: str) -> None:
    with operation(ctx, "policy.remove", tenant) as op, op.unit(PERMISSION) as work:
        policies.remove_policy(work.session, work.tenant_row, name)
        op.note(policy=name)
