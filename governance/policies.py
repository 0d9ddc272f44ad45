"""Row-level policies: a filter on one table, granted to roles and groups.

Each function works inside the caller's session and transaction, on a tenant it resolved once.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from governance.errors import AtsparkError, ConflictError, NotFoundError
from governance.identity import named_groups, named_roles
from governance.names import check_identifier
from governance.rls.compiler import compile_query
from governance.rls.context import PolicyRule, QueryRefused, Reader
from governance.rls.passes.render_predicates import (
    InvalidPredicate,
    parse_predicate,
    with_sample_values,
)
from governance.store.models import Group, Policy, Role, Tenant, User
from governance.warehouse.duckdb_read_guard import check_written_predicate

_ATTRIBUTE_PLACEHOLDER = re.compile(r"\{\{\s*user\.attr\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


@dataclass(frozen=True)
class PolicyInfo:
    name: str
    table: str
    filter: str
    roles: list[str]
    groups: list[str]


def _policy_info(policy: Policy) -> PolicyInfo:
    return PolicyInfo(
        policy.name,
        policy.table_name,
        policy.predicate,
        [r.name for r in policy.roles],
        [g.name for g in policy.groups],
    )


def _check_predicate(schema: str, table: str, predicate: str) -> None:
    """Refuse a predicate the compiler would not accept, by compiling a read of ``table``."""
    sample = {key: ("sample",) for key in _ATTRIBUTE_PLACEHOLDER.findall(predicate)}
    rule = PolicyRule("candidate", table, predicate)
    reader = Reader(schema, "sample", "sample@example.com", sample, policies=(rule,))
    try:
        parse_predicate(predicate, table, "duckdb")
        check_written_predicate(with_sample_values(predicate))
        compile_query(f"SELECT * FROM {table}", "duckdb", reader, [table])
    except InvalidPredicate as invalid:
        raise AtsparkError(f"invalid policy filter: {invalid}") from None
    except QueryRefused as refused:
        raise AtsparkError(f"invalid policy filter: {refused.detail or refused}") from None


def add_policy(
    session: Session,
    tenant: Tenant,
    name: str,
    table: str,
    predicate: str,
    roles: Sequence[str] = (),
    groups: Sequence[str] = (),
) -> PolicyInfo:
    """Store a policy granted to at least one role or group."""
    check_identifier("policy name", name)
    check_identifier("table", table)
    if not roles and not groups:
        raise AtsparkError("a policy needs at least one --role or --group")
    _check_predicate(tenant.slug, table, predicate)
    exists = select(Policy.id).where(Policy.tenant_id == tenant.id, Policy.name == name)
    if session.scalar(exists):
        raise ConflictError(f"tenant {tenant.slug!r} already has a policy {name!r}")
    policy = Policy(
        tenant_id=tenant.id,
        name=name,
        table_name=table,
        predicate=predicate,
        roles=named_roles(session, tenant, roles),
        groups=named_groups(session, tenant, groups),
    )
    session.add(policy)
    session.flush()
    return _policy_info(policy)


def list_policies(session: Session, tenant: Tenant) -> list[PolicyInfo]:
    query = select(Policy).where(Policy.tenant_id == tenant.id).order_by(Policy.name)
    return [_policy_info(policy) for policy in session.scalars(query)]


def remove_policy(session: Session, tenant: Tenant, name: str) -> None:
    query = select(Policy).where(Policy.tenant_id == tenant.id, Policy.name == name)
    policy = session.scalar(query)
    if policy is None:
        raise NotFoundError(f"tenant {tenant.slug!r} has no policy {name!r}")
    session.delete(policy)


def policies_for(session: Session, user: User) -> tuple[PolicyRule, ...]:
    """The policies granted to any of the user's roles or groups."""
    role_ids = [role.id for role in user.roles]
    group_ids = [group.id for group in user.groups]
    granted = select(Policy).where(
        Policy.tenant_id == user.tenant_id,
        or_(Policy.roles.any(Role.id.in_(role_ids)), Policy.groups.any(Group.id.in_(group_ids))),
    )
    return tuple(
        PolicyRule(p.name, p.table_name, p.predicate)
        for p in session.scalars(granted.order_by(Policy.name))
    )
