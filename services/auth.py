"""Signing in and out: password then a second factor, sessions, API tokens, throttling and
suspicious-sign-in alerts. Every step is audited on the tenant's chain (``auth.*`` actions).

A wrong tenant, email or password all fail alike (``AuthenticationFailed``) in about the same
time; the audit trail records which it was. Throttling counts failures per account (a hash of
tenant and email, so unknown accounts throttle like real ones) and per client address.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import NoReturn

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance import mail
from governance.audit import as_utc
from governance.auth import accounts, networks, passwords, tokens, totp
from governance.errors import (
    AtsparkError,
    AuthenticationFailed,
    NotFoundError,
    PermissionDenied,
    TooManyAttempts,
)
from governance.identity import find_user, find_user_by_id, normalize_email, permissions_of
from governance.permissions import PERMISSIONS
from governance.store.models import Tenant, User, utcnow
from services.context import ServiceContext, TenantUser
from services.operations import Operation, operation, unit_of_work

SIGN_IN_FAILED = "sign-in failed: check the tenant, email and password"
CODE_FAILED = "that code is not valid: sign in again if it keeps failing"
WINDOW = timedelta(minutes=15)
"""Failures count against an account or an address for this long."""
ACCOUNT_FAILURES = 5
"""Failures within the window after which an account is locked until the oldest expires."""
ADDRESS_FAILURES = 20
ACROSS_ACCOUNTS = 3
"""Accounts failing from one address within the window that make it suspicious."""
NEW_NETWORK_AFTER = timedelta(days=30)
TOKEN_TTL_DEFAULT = timedelta(days=30)
TOKEN_TTL_MAX = timedelta(days=365)
METHODS = ("totp", "email", "recovery")


@dataclass(frozen=True)
class Challenge:
    """A sign-in waiting for its second factor."""

    token: str
    methods: list[str]


@dataclass(frozen=True)
class SignedIn:
    session_token: str
    csrf_token: str


@dataclass(frozen=True)
class Caller:
    """Who a session cookie or an API token signs in."""

    tenant: str
    user_id: str
    email: str
    via: str  # "session" or "token"
    permissions: frozenset[str]

    def context(self, ctx: ServiceContext) -> ServiceContext:
        return ctx.acting_as(TenantUser(self.email, self.via))


@dataclass(frozen=True)
class TotpEnrollment:
    secret: str
    uri: str


@dataclass(frozen=True)
class TokenInfo:
    id: str
    name: str
    created_at: str
    expires_at: str


def account_key(tenant: str, email: str) -> str:
    return tokens.digest(f"{tenant.strip().lower()}\0{email.strip().lower()}")


# Password, then a second factor -----------------------------------------------------------------


def sign_in(ctx: ServiceContext, tenant: str, email: str, password: str) -> Challenge:
    """Check the password; on success, a challenge for the second factor (never a session)."""
    ip = networks.throttle_key(ctx.ip)
    account = account_key(tenant, email)
    with ctx.platform.control_plane.session() as session:
        tenant_row = session.scalar(select(Tenant).where(Tenant.slug == tenant))
        op = _auth_operation(ctx, "auth.login", tenant_row, _shown_actor(email))
        refusal = _throttled(session, account, ip)
        if refusal is not None:
            op.note(reason=str(refusal))
            op.record(session, "refused")
        user = _user_or_none(session, tenant_row, email)
        stored = accounts.password_hash_of(session, user) if user else None
    if refusal is not None:
        raise refusal
    matched = passwords.verify_password(stored, password)  # outside any transaction: slow
    with ctx.platform.control_plane.session() as session:
        if not matched or user is None:
            _fail(session, op, account, ip, _why_failed(tenant_row, user, stored))
        else:
            user = session.get(User, user.id)
            if stored and passwords.needs_rehash(stored):
                accounts.set_password(session, user, password)
            token = accounts.create_challenge(session, user, ctx.ip)
            methods = accounts.methods_of(session, user)
            op.note(stage="password", methods=methods)
            op.record(session, "ok")
    if not matched or user is None:
        raise AuthenticationFailed(SIGN_IN_FAILED)
    return Challenge(token, methods)


def send_email_code(ctx: ServiceContext, challenge: str) -> None:
    """Email a one-time code for a pending sign-in (a new code replaces the last)."""
    with ctx.platform.control_plane.session() as session:
        pending = accounts.find_challenge(session, challenge)  # an expired one is deleted
        if pending is not None:
            user = session.get(User, pending.user_id)
            code = accounts.set_email_code(pending)
            op = _auth_operation(ctx, "auth.mfa_email", _tenant_of(session, user), user.email)
            op.record(session, "ok")
            email = user.email
    if pending is None:
        raise AuthenticationFailed(CODE_FAILED)
    minutes = int(accounts.CHALLENGE_LIFETIME.total_seconds() // 60)
    mail.send(
        ctx.platform.settings,
        email,
        "Your atspark sign-in code",
        f"Your atspark sign-in code is {code}. It expires in {minutes} minutes.\n\n"
        "If you did not try to sign in, change your password and tell your administrator.",
    )


def complete_sign_in(
    ctx: ServiceContext, challenge: str, method: str, code: str, replaces: str | None = None
) -> SignedIn:
    """Check the second factor of a pending sign-in; on success, a new session, ending the one
    ``replaces`` names (the browser's previous session: ids rotate at every sign-in)."""
    if method not in METHODS:
        raise AtsparkError(f"method must be one of {', '.join(METHODS)}")
    signed_in, alert, refusal = None, None, None
    address = networks.throttle_key(ctx.ip)
    with ctx.platform.control_plane.session() as session:
        pending = accounts.find_challenge(session, challenge)  # an expired one is deleted
        if pending is not None:
            user = session.get(User, pending.user_id)
            tenant = _tenant_of(session, user)
            account = account_key(tenant.slug, user.email)
            op = _auth_operation(ctx, "auth.mfa", tenant, user.email)
            op.note(method=method)
            refusal = _throttled(session, account, address)
            if refusal is not None:  # a lockout reaches challenges opened before it
                op.note(reason=str(refusal))
                op.record(session, "refused")
            elif _second_factor_ok(ctx, session, pending, user, method, code):
                session.delete(pending)
                accounts.record_attempt(session, account, address, True)
                if replaces:
                    accounts.end_session(session, replaces)
                session_token = accounts.create_session(session, user, ctx.ip)
                op.record(session, "ok")
                alert = _notice_new_network(ctx, session, tenant, user)
                signed_in = SignedIn(session_token, tokens.csrf_token(session_token))
            else:
                pending.failures += 1
                _fail(session, op, account, address, f"wrong {method} code")
    if alert is not None:
        mail.send(ctx.platform.settings, *alert)
    if refusal is not None:
        raise refusal
    if signed_in is None:
        raise AuthenticationFailed(CODE_FAILED)
    return signed_in


def _second_factor_ok(
    ctx: ServiceContext, session: Session, pending, user: User, method: str, code: str
) -> bool:
    if method == "totp":
        methods = accounts.methods_of(session, user)
        return "totp" in methods and accounts.check_totp(ctx.platform.keys, session, user, code)
    if method == "email":
        return accounts.check_email_code(pending, code)
    return accounts.use_recovery_code(session, user, code)


def _throttled(session: Session, account: str, ip: str) -> TooManyAttempts | None:
    """Why sign-in is refused for this account or address now, if it is."""
    now = utcnow()
    for failures, limit in (
        (accounts.recent_failures(session, now - WINDOW, account=account), ACCOUNT_FAILURES),
        (accounts.recent_failures(session, now - WINDOW, ip=ip), ADDRESS_FAILURES),
    ):
        if len(failures) >= limit:
            retry_after = failures[-limit] + WINDOW - now
            return TooManyAttempts(
                "too many failed sign-in attempts: try again later",
                max(1, int(retry_after.total_seconds()) + 1),
            )
    return None


def _fail(session: Session, op: Operation, account: str, ip: str, reason: str) -> None:
    """Record a failed attempt, its audit event, and flag an address failing across accounts."""
    since = utcnow() - WINDOW
    before = accounts.accounts_failed_from(session, ip, since)
    accounts.record_attempt(session, account, ip, False)
    session.flush()
    op.note(reason=reason)
    op.record(session, "refused")
    if before < ACROSS_ACCOUNTS <= accounts.accounts_failed_from(session, ip, since):
        flag = Operation(op.ctx, "auth.suspicious_login", op.tenant_slug, op.chain, op.actor)
        flag.note(reason="failed sign-ins across accounts from one address", ip=ip)
        flag.record(session, "flagged")


def _notice_new_network(
    ctx: ServiceContext, session: Session, tenant: Tenant, user: User
) -> tuple[str, str, str] | None:
    """Flag a sign-in from a network the user has not used lately; the alert mail to send."""
    network = networks.network_of(ctx.ip)
    if network is None or not accounts.note_network(session, user, network, NEW_NETWORK_AFTER):
        return None
    flag = _auth_operation(ctx, "auth.suspicious_login", tenant, user.email)
    flag.note(reason="sign-in from a network not used in 30 days", network=network)
    flag.record(session, "flagged")
    return (
        user.email,
        "New sign-in to atspark",
        f"Your atspark account in {tenant.slug} was signed in to from a new network "
        f"({network}) at {utcnow():%Y-%m-%d %H:%M} UTC.\n\nIf this was not you, sign out "
        "everywhere, change your password and tell your administrator.",
    )


def _shown_actor(email: str) -> str:
    """The account a sign-in claimed, as the audit trail may keep it: an email address as
    typed, anything else (a password typed in the wrong field) withheld."""
    try:
        return normalize_email(email)
    except AtsparkError:
        return "(not an email address)"


def _why_failed(tenant: Tenant | None, user: User | None, stored: str | None) -> str:
    if tenant is None:
        return "no such tenant"
    if user is None:
        return "no such user"
    return "no password set" if stored is None else "wrong password"


def _user_or_none(session: Session, tenant: Tenant | None, email: str) -> User | None:
    if tenant is None:
        return None
    try:
        return find_user(session, tenant, email)
    except AtsparkError:  # not an email address, or no such user
        return None


def _tenant_of(session: Session, user: User) -> Tenant:
    return session.get(Tenant, user.tenant_id)


def _auth_operation(
    ctx: ServiceContext, action: str, tenant: Tenant | None, actor: str
) -> Operation:
    """An audit record on the tenant's chain (the platform's when there is no such tenant)."""
    op = Operation(ctx, action, tenant.slug if tenant else None, actor=actor[:320])
    if tenant is not None:
        op.chain = tenant.id
    return op


# Sessions and tokens ---------------------------------------------------------------------------


def caller_of_session(ctx: ServiceContext, token: str) -> Caller | None:
    """Who the session cookie ``token`` signs in, if its session is alive; an expired session
    is ended. Most requests only read; activity is written now and then."""
    settings = ctx.platform.settings
    idle = timedelta(seconds=settings.session_idle_seconds)
    absolute = timedelta(seconds=settings.session_absolute_seconds)
    with ctx.platform.control_plane.read_session() as session:
        found = accounts.find_session(session, token)
        if found is None:
            return None
        expired = accounts.session_expired(found, idle, absolute)
        touch = accounts.session_needs_touch(found, idle)
        caller = None if expired else _caller(session, found.user_id, "session")
    if expired or touch:
        with ctx.platform.control_plane.session() as session:
            if expired:
                accounts.end_session(session, token)
            else:
                accounts.touch_session(session, found.id_hash)
    return caller


def caller_of_token(ctx: ServiceContext, token: str) -> Caller | None:
    with ctx.platform.control_plane.read_session() as session:
        found = accounts.find_api_token(session, token)
        return _caller(session, found.user_id, "token") if found else None


def _caller(session: Session, user_id: str, via: str) -> Caller:
    user = session.get(User, user_id)
    return Caller(_tenant_of(session, user).slug, user.id, user.email, via, permissions_of(user))


def sign_out(ctx: ServiceContext, tenant: str, session_token: str) -> None:
    with operation(ctx, "auth.logout", tenant) as op, op.unit() as work:
        accounts.end_session(work.session, session_token)


def sign_out_everywhere(ctx: ServiceContext, tenant: str, user_id: str | None = None) -> int:
    """End every session of ``user_id`` (needs ``users.manage``), or of the caller."""
    with operation(ctx, "auth.logout_everywhere", tenant) as op, op.unit() as work:
        if user_id is not None and user_id != (work.user.id if work.user else None):
            work.require("users.manage")
            target = find_user_by_id(work.session, work.tenant_row, user_id)
            work.require_covers(target)
        else:
            target = _acting_user(work)
        ended = accounts.end_sessions(work.session, target.id)
        op.note(user=target.email, sessions=ended)
        return ended


def create_api_token(
    ctx: ServiceContext, tenant: str, email: str, ttl: timedelta | None = None, name: str = ""
) -> tuple[str, TokenInfo]:
    """A personal API token for ``email`` (the user themselves, or the operator); returns the
    token, shown once, and what is kept of it."""
    ttl = TOKEN_TTL_DEFAULT if ttl is None else ttl
    if not timedelta(minutes=1) <= ttl <= TOKEN_TTL_MAX:
        raise AtsparkError("a token lives between 1 minute and 365 days (--ttl)")
    _require_signed_in_person(ctx)
    with operation(ctx, "auth.token_create", tenant) as op, op.unit() as work:
        target = find_user(work.session, work.tenant_row, email)
        if work.user is not None and work.user.id != target.id:
            raise AtsparkError("an API token can only be created for yourself")
        label = name.strip()[:80] or "personal token"
        token, row = accounts.create_api_token(work.session, target, label, ttl)
        op.note(user=target.email, token_id=row.id, expires_at=row.expires_at.isoformat())
        return token, _token_info(row)


def list_api_tokens(ctx: ServiceContext, tenant: str) -> list[TokenInfo]:
    with unit_of_work(ctx, tenant) as work:
        return [_token_info(t) for t in accounts.api_tokens_of(work.session, _acting_user(work))]


def revoke_api_token(ctx: ServiceContext, tenant: str, token_id: str) -> None:
    """Revoke one of the caller's tokens (the operator: any of the tenant's)."""
    with operation(ctx, "auth.token_revoke", tenant) as op, op.unit() as work:
        token = accounts.api_token_of(work.session, work.tenant_row.id, token_id)
        if token is None or (work.user is not None and token.user_id != work.user.id):
            raise NotFoundError("no such token")
        token.revoked_at = utcnow()
        op.note(token_id=token_id)


def _token_info(row) -> TokenInfo:
    return TokenInfo(
        row.id,
        row.name,
        as_utc(row.created_at).isoformat(),
        as_utc(row.expires_at).isoformat(),
    )


# TOTP enrollment -------------------------------------------------------------------------------


def start_totp(ctx: ServiceContext, tenant: str) -> TotpEnrollment:
    """A new TOTP secret for the signed-in user, in force once confirmed with a code."""
    _require_signed_in_person(ctx)
    with operation(ctx, "auth.totp_start", tenant) as op, op.unit() as work:
        user = _acting_user(work)
        secret = accounts.start_totp(ctx.platform.keys, work.session, user)
        op.note(user=user.email)
        return TotpEnrollment(secret, totp.provisioning_uri(secret, f"{user.email} ({tenant})"))


def confirm_totp(ctx: ServiceContext, tenant: str, code: str) -> list[str]:
    """Confirm enrollment with a current code; returns new recovery codes, shown once."""
    _require_signed_in_person(ctx)
    with operation(ctx, "auth.totp_enroll", tenant) as op, op.unit() as work:
        user = _acting_user(work)
        if not accounts.totp_pending(work.session, user):
            raise AtsparkError("start TOTP enrollment first")
        if not accounts.check_totp(ctx.platform.keys, work.session, user, code):
            raise AtsparkError("that code does not match the new secret: try the next one")
        op.note(user=user.email)
        return accounts.confirm_totp(work.session, user)


def enroll_totp(ctx: ServiceContext, tenant: str, email: str) -> TotpEnrollment:
    """Enroll ``email`` in TOTP at once (the operator, seeding demo and test accounts)."""
    with operation(ctx, "auth.totp_enroll", tenant) as op, op.unit() as work:
        work.require_operator()
        user = find_user(work.session, work.tenant_row, email)
        secret = accounts.start_totp(ctx.platform.keys, work.session, user)
        accounts.confirm_totp(work.session, user)
        op.note(user=user.email)
        return TotpEnrollment(secret, totp.provisioning_uri(secret, f"{user.email} ({tenant})"))


def remove_totp(ctx: ServiceContext, tenant: str) -> None:
    _require_signed_in_person(ctx)
    with operation(ctx, "auth.totp_remove", tenant) as op, op.unit() as work:
        user = _acting_user(work)
        accounts.remove_totp(work.session, user)
        op.note(user=user.email)


def refuse(ctx: ServiceContext, tenant: str, permission: str) -> NoReturn:
    """Refuse a request for lack of ``permission`` before it reaches its operation; audited as
    ``access.denied`` (always refused) with the request it came by."""
    with operation(ctx, "access.denied", tenant) as op, op.unit(records=False) as work:
        op.note(permission=permission)
        work.require(permission)
        # held by now (roles changed since the caller was resolved): refused all the same
        raise PermissionDenied(
            f"{work.actor} may not {PERMISSIONS[permission]} (needs permission {permission})"
        )


def whoami(ctx: ServiceContext, tenant: str) -> dict:
    """The signed-in user as ``GET /me`` shows them."""
    with unit_of_work(ctx, tenant) as work:
        user = _acting_user(work)
        return {
            "user": {"id": user.id, "email": user.email},
            "tenant": {"slug": work.tenant_row.slug, "name": work.tenant_row.name},
            "roles": sorted(r.name for r in user.roles),
            "groups": sorted(g.name for g in user.groups),
            "permissions": sorted(permissions_of(user)),
            "mfa": accounts.methods_of(work.session, user),
        }


def _acting_user(work) -> User:
    if work.user is None:
        raise AtsparkError("only a signed-in user can do this")
    return work.user


def _require_signed_in_person(ctx: ServiceContext) -> None:
    """Credentials (tokens, second factors, passwords) are managed by a person signed in with
    both factors, never by an API token: a token must not outlive or outrank its making."""
    if isinstance(ctx.principal, TenantUser) and ctx.principal.via == "token":
        raise PermissionDenied("an API token cannot manage credentials: sign in to do this")
