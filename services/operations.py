"""Operations, their units of work and their audit events.

An ``Operation`` is one thing a principal asks for (add a user, run a query, ingest a connection).
Each control-plane step of it is a unit of work (``Operation.unit``): one session and one
transaction, in which the tenant is resolved (once), the principal resolved and their permission
checked. An operation that only touches the control plane is one unit, and its audit event is
written in that same transaction: the change and its record commit together or not at all. One
that must not hold a transaction while it works (a query, a load) reads what it needs in one unit
and records the outcome in another; nothing ever holds a transaction across a warehouse read.

Whatever the outcome, the operation is audited once: ``ok``; ``refused`` (a permission or a
refused query); or ``failed`` (any other user-facing error), on the tenant's chain, or on the
platform's when the tenant does not exist, with the actor as given when they are unknown.
Reads (``unit_of_work``) check permissions but are not audited.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from governance import audit
from governance.errors import AtsparkError, AuthenticationFailed, PermissionDenied, TooManyAttempts
from governance.identity import find_user, permissions_of
from governance.permissions import PERMISSIONS
from governance.rls.context import QueryRefused
from governance.store.lookups import find_tenant
from governance.store.models import Tenant, User
from services.context import Operator, ServiceContext, TenantUser

_REFUSALS = (PermissionDenied, QueryRefused, AuthenticationFailed, TooManyAttempts)


@dataclass
class Work:
    """One unit of work: its session (one transaction), its tenant, and who acts."""

    session: Session
    tenant: Tenant | None
    actor: str
    user: User | None = None
    permissions: frozenset[str] | None = None  # None: the operator, who holds every permission

    @property
    def tenant_row(self) -> Tenant:
        assert self.tenant is not None, "this unit of work was opened without a tenant"
        return self.tenant

    def require(self, permission: str) -> None:
        """Refuse unless the principal holds ``permission`` (fail closed)."""
        if self.permissions is not None and permission not in self.permissions:
            raise PermissionDenied(
                f"{self.actor} may not {PERMISSIONS[permission]} (needs permission {permission})"
            )

    def require_all(self, permissions: Iterable[str], what: str) -> None:
        """Refuse to hand out or act on ``what`` when it holds a permission the principal does
        not: no one grants more than they hold, or changes someone who holds more."""
        beyond = sorted(set(permissions) - self.permissions) if self.permissions is not None else []
        if beyond:
            raise PermissionDenied(
                f"{self.actor} may not change {what}: it holds {', '.join(beyond)}, "
                "which they do not"
            )

    def require_covers(self, user: User) -> None:
        """Refuse unless the principal holds every permission ``user`` holds."""
        self.require_all(permissions_of(user), f"user {user.email}")

    def require_operator(self) -> None:
        """Refuse unless the platform's operator acts (platform-wide operations)."""
        if self.permissions is not None:
            raise PermissionDenied(f"{self.actor} may not do this: only the platform's operator")


@dataclass
class Operation:
    """One audited operation of one principal, on one tenant (or on the platform)."""

    ctx: ServiceContext
    action: str
    tenant_slug: str | None
    chain: str = audit.PLATFORM_CHAIN
    actor: str = ""
    context: dict[str, Any] = field(default_factory=dict)
    recorded: bool = False

    def note(self, **context: Any) -> None:
        """Add to what the audit event says about this operation."""
        self.context.update(context)

    @contextmanager
    def unit(self, permission: str | None = None, *, records: bool = True) -> Iterator[Work]:
        """A unit of work of this operation; with ``records`` it also writes the operation's
        audit event, in the same transaction, when the block succeeds."""
        with _unit(self.ctx, self.tenant_slug, permission, self) as work:
            yield work
            if records:
                self.record(work.session, "ok")

    def record_outcome(self, outcome: str, **context: Any) -> None:
        """Write the audit event in a transaction of its own (after work done outside one)."""
        self.note(**context)
        with self.ctx.platform.control_plane.session() as session:
            self.record(session, outcome)

    def record(self, session: Session, outcome: str) -> None:
        """Write the audit event in ``session``'s transaction."""
        details = {"tenant": self.tenant_slug} if self.chain == audit.PLATFORM_CHAIN else {}
        request = {
            "ip": self.ctx.ip,
            "request_id": self.ctx.request_id,
            "request": dict(self.ctx.request),
        }
        context = {**details, **self.context, **{k: v for k, v in request.items() if v}}
        audit.append(session, self.chain, self.actor, self.action, outcome, _clipped(context))
        self.recorded = True


CONTEXT_TEXT_LENGTH = 2_000
"""The longest text an audit event keeps of any value it records (a URL, a reason): the trail is
append-only, so no request may copy megabytes into it."""
SQL_TEXT_LENGTH = 50_000
"""The longest SQL it keeps whole (``sql``, ``sql_executed``, ...): a metric's SQL, and its
compiled form with the asker's policies, run to several kilobytes, and the record must show it."""


def _clipped(value: Any, length: int = CONTEXT_TEXT_LENGTH) -> Any:
    if isinstance(value, str) and len(value) > length:
        return f"{value[:length]}... ({len(value)} characters)"
    if isinstance(value, dict):
        return {
            key: _clipped(item, SQL_TEXT_LENGTH if key.startswith("sql") else length)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_clipped(item, length) for item in value]
    return value


@contextmanager
def operation(ctx: ServiceContext, action: str, tenant: str | None = None) -> Iterator[Operation]:
    """An operation that is audited once, whatever its outcome."""
    op = Operation(ctx, action, tenant, actor=ctx.principal.actor)
    try:
        yield op
    except AtsparkError as error:
        outcome = "refused" if isinstance(error, _REFUSALS) else "failed"
        detail = getattr(error, "detail", "")
        op.recorded = False
        op.record_outcome(outcome, reason=str(error), **({"detail": detail} if detail else {}))
        raise
    except Exception as error:  # a fault of ours: audited, its text (which may quote data) not
        op.recorded = False
        op.record_outcome("failed", reason=f"internal error ({type(error).__name__})")
        raise
    if not op.recorded:
        op.record_outcome("ok")


@contextmanager
def unit_of_work(
    ctx: ServiceContext,
    tenant: str | None = None,
    permission: str | None = None,
    *,
    writes: bool = False,
) -> Iterator[Work]:
    """A unit of work that writes no audit event: reads (listing, looking up), which never wait
    for a writer, and with ``writes`` bookkeeping no person asked for (noting that Dagster
    reported a load)."""
    with _unit(ctx, tenant, permission, None, writes) as work:
        yield work


@contextmanager
def _unit(
    ctx: ServiceContext,
    tenant_slug: str | None,
    permission: str | None,
    op: Operation | None,
    writes: bool = True,
) -> Iterator[Work]:
    control_plane = ctx.platform.control_plane
    with control_plane.session() if writes else control_plane.read_session() as session:
        tenant = find_tenant(session, tenant_slug) if tenant_slug is not None else None
        if op is not None and tenant is not None:
            op.chain = tenant.id
        work = _resolve(session, tenant, ctx)
        if op is not None:
            op.actor = work.actor
        if permission is not None:
            work.require(permission)
        yield work


def _resolve(session: Session, tenant: Tenant | None, ctx: ServiceContext) -> Work:
    """Who acts in this unit of work, with what permissions."""
    principal = ctx.principal
    if isinstance(principal, Operator):
        return Work(session, tenant, principal.actor)
    if not isinstance(principal, TenantUser):
        raise PermissionDenied("sign in first")
    if tenant is None:
        raise PermissionDenied(f"{principal.email} may not do this: only the platform's operator")
    user = find_user(session, tenant, principal.email)
    return Work(session, tenant, user.email, user, permissions_of(user))
