"""The sign-in rows of the control plane: credentials, recovery codes, MFA challenges, sessions,
API tokens, attempts and known networks.

Each function works inside the caller's session and transaction; secrets given to clients are
returned once and only their digests stored. Timestamps from the database may come back naive
(SQLite): ``as_utc`` reads them as UTC.
"""

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from governance.audit import as_utc
from governance.auth import passwords, tokens, totp
from governance.crypto.key_service import KeyService
from governance.crypto.purposes import PURPOSE_CREDENTIALS
from governance.store.models import (
    ApiToken,
    Credential,
    KnownNetwork,
    RecoveryCode,
    SignInAttempt,
    SignInChallenge,
    User,
    WebSession,
    utcnow,
)

RECOVERY_CODES = 10
CHALLENGE_LIFETIME = timedelta(minutes=10)
CHALLENGE_FAILURES = 5


def credential_of(session: Session, user: User) -> Credential:
    credential = session.get(Credential, user.id)
    if credential is None:
        credential = Credential(user_id=user.id, totp_confirmed=False, updated_at=utcnow())
        session.add(credential)
    return credential


def password_hash_of(session: Session, user: User) -> str | None:
    credential = session.get(Credential, user.id)
    return credential.password_hash if credential else None


def set_password(session: Session, user: User, password: str) -> None:
    credential = credential_of(session, user)
    credential.password_hash = passwords.hash_password(password)
    credential.updated_at = utcnow()


# Throttling ------------------------------------------------------------------------------------


def record_attempt(session: Session, account: str, ip: str, succeeded: bool) -> None:
    session.add(SignInAttempt(account=account, ip=ip, succeeded=succeeded, at=utcnow()))


def recent_failures(
    session: Session, since: datetime, *, account: str | None = None, ip: str | None = None
) -> list[datetime]:
    """When the failures since ``since`` happened, for one account or one client address."""
    query = select(SignInAttempt.at).where(SignInAttempt.at >= since, ~SignInAttempt.succeeded)
    if account is not None:
        query = query.where(SignInAttempt.account == account)
    if ip is not None:
        query = query.where(SignInAttempt.ip == ip)
    return [as_utc(at) for at in session.scalars(query.order_by(SignInAttempt.at))]


def accounts_failed_from(session: Session, ip: str, since: datetime) -> int:
    """How many distinct accounts failed to sign in from ``ip`` since ``since``."""
    query = select(func.count(func.distinct(SignInAttempt.account))).where(
        SignInAttempt.ip == ip, SignInAttempt.at >= since, ~SignInAttempt.succeeded
    )
    return session.scalar(query) or 0


# Second factors --------------------------------------------------------------------------------


def create_challenge(session: Session, user: User, ip: str | None) -> str:
    token = tokens.new_token()
    now = utcnow()
    session.add(
        SignInChallenge(
            id_hash=tokens.digest(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + CHALLENGE_LIFETIME,
            ip=ip,
            failures=0,
        )
    )
    return token


def find_challenge(session: Session, token: str) -> SignInChallenge | None:
    """The pending challenge ``token`` names, unless it expired or failed too often."""
    challenge = session.get(SignInChallenge, tokens.digest(token))
    if challenge is None:
        return None
    if as_utc(challenge.expires_at) <= utcnow() or challenge.failures >= CHALLENGE_FAILURES:
        session.delete(challenge)
        return None
    return challenge


def methods_of(session: Session, user: User) -> list[str]:
    """The second factors ``user`` can use: always the emailed code, and TOTP and recovery codes
    once enrolled."""
    credential = session.get(Credential, user.id)
    methods = []
    if credential is not None and credential.totp_confirmed:
        methods.append("totp")
    methods.append("email")
    if session.scalar(select(RecoveryCode.id).where(_unused_codes(user.id)).limit(1)):
        methods.append("recovery")
    return methods


def set_email_code(challenge: SignInChallenge) -> str:
    code = tokens.numeric_code()
    challenge.email_code_hash = tokens.digest(code)
    return code


def check_email_code(challenge: SignInChallenge, code: str) -> bool:
    expected = challenge.email_code_hash
    return expected is not None and tokens.same(tokens.digest(code.strip()), expected)


def start_totp(keys: KeyService, session: Session, user: User) -> str:
    """A new, unconfirmed TOTP secret for ``user`` (sealed under the tenant's credentials key);
    the previous one stays in force until this one is confirmed."""
    secret = totp.new_secret()
    credential = credential_of(session, user)
    credential.totp_blob = _seal(keys, user, secret)
    credential.totp_confirmed = False
    credential.updated_at = utcnow()
    return secret


def check_totp(keys: KeyService, session: Session, user: User, code: str) -> bool:
    """Whether ``code`` is a TOTP code of ``user``'s secret not used before; marks it used."""
    credential = session.get(Credential, user.id)
    if credential is None or credential.totp_blob is None:
        return False
    secret = _open(keys, user, credential.totp_blob)
    step = totp.accepted_step(secret, code, credential.totp_last_step)
    if step is None:
        return False
    # compare-and-set, so two requests racing with one code cannot both win
    won = session.execute(
        update(Credential)
        .where(
            Credential.user_id == user.id,
            (Credential.totp_last_step.is_(None)) | (Credential.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session="fetch")
    )
    return won.rowcount == 1


def confirm_totp(session: Session, user: User) -> list[str]:
    """Put the enrolled secret in force; returns fresh recovery codes (shown once)."""
    credential = credential_of(session, user)
    credential.totp_confirmed = True
    credential.updated_at = utcnow()
    return new_recovery_codes(session, user)


def remove_totp(session: Session, user: User) -> None:
    credential = credential_of(session, user)
    credential.totp_blob, credential.totp_confirmed = None, False
    credential.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def totp_pending(session: Session, user: User) -> bool:
    credential = session.get(Credential, user.id)
    return credential is not None and credential.totp_blob is not None


def new_recovery_codes(session: Session, user: User) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [tokens.recovery_code() for _ in range(RECOVERY_CODES)]
    for code in codes:
        session.add(RecoveryCode(user_id=user.id, code_hash=tokens.digest(code)))
    return codes


def use_recovery_code(session: Session, user: User, code: str) -> bool:
    used = session.execute(
        update(RecoveryCode)
        .where(
            _unused_codes(user.id),
            RecoveryCode.code_hash == tokens.digest(tokens.normalize_code(code)),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return used.rowcount == 1


def _unused_codes(user_id: str):
    return (RecoveryCode.user_id == user_id) & RecoveryCode.used_at.is_(None)


def _seal(keys: KeyService, user: User, secret: str) -> bytes:
    context = {"row": f"credentials/{user.id}/totp"}
    return keys.encrypt(user.tenant_id, PURPOSE_CREDENTIALS, secret.encode(), context)


def _open(keys: KeyService, user: User, blob: bytes) -> str:
    context = {"row": f"credentials/{user.id}/totp"}
    return keys.decrypt(user.tenant_id, PURPOSE_CREDENTIALS, blob, context).decode()


# Sessions and API tokens -----------------------------------------------------------------------


def create_session(session: Session, user: User, ip: str | None) -> str:
    """A new session (a new id every sign-in: no fixation); returns the cookie's secret."""
    token = tokens.new_token()
    now = utcnow()
    session.add(
        WebSession(
            id_hash=tokens.digest(token), user_id=user.id, created_at=now, last_seen_at=now, ip=ip
        )
    )
    return token


def find_session(session: Session, token: str) -> WebSession | None:
    return session.get(WebSession, tokens.digest(token))


def session_expired(found: WebSession, idle: timedelta, absolute: timedelta) -> bool:
    now = utcnow()
    return as_utc(found.last_seen_at) + idle <= now or as_utc(found.created_at) + absolute <= now


def session_needs_touch(found: WebSession, idle: timedelta) -> bool:
    """Whether to record activity now: at most every tenth of the idle timeout (and every
    minute), so most requests only read."""
    return utcnow() - as_utc(found.last_seen_at) >= min(idle / 10, timedelta(minutes=1))


def touch_session(session: Session, id_hash: str) -> None:
    session.execute(
        update(WebSession).where(WebSession.id_hash == id_hash).values(last_seen_at=utcnow())
    )


def end_session(session: Session, token: str) -> WebSession | None:
    found = session.get(WebSession, tokens.digest(token))
    if found is not None:
        session.delete(found)
    return found


def end_sessions(session: Session, user_id: str) -> int:
    """End every session of the user; returns how many."""
    return session.execute(delete(WebSession).where(WebSession.user_id == user_id)).rowcount


def create_api_token(
    session: Session, user: User, name: str, ttl: timedelta
) -> tuple[str, ApiToken]:
    token = tokens.new_token(tokens.API_TOKEN_PREFIX)
    now = utcnow()
    row = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=tokens.digest(token),
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(row)
    session.flush()
    return token, row


def find_api_token(session: Session, token: str) -> ApiToken | None:
    """The unexpired, unrevoked API token ``token`` is."""
    if not token.startswith(tokens.API_TOKEN_PREFIX):
        return None
    found = session.scalar(select(ApiToken).where(ApiToken.token_hash == tokens.digest(token)))
    if found is None or found.revoked_at is not None or as_utc(found.expires_at) <= utcnow():
        return None
    return found


def api_token_of(session: Session, tenant_id: str, token_id: str) -> ApiToken | None:
    """The live token ``token_id`` of one of the tenant's users."""
    query = (
        select(ApiToken)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.id == token_id, User.tenant_id == tenant_id, ApiToken.revoked_at.is_(None))
    )
    return session.scalar(query)


def api_tokens_of(session: Session, user: User) -> list[ApiToken]:
    query = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    return list(session.scalars(query.order_by(ApiToken.created_at)))


# Networks --------------------------------------------------------------------------------------


def note_network(session: Session, user: User, network: str, within: timedelta) -> bool:
    """Record that ``user`` signed in from ``network``; True when that is new for them: they
    have signed in before, but not from this network within ``within``."""
    now = utcnow()
    known = session.get(KnownNetwork, (user.id, network))
    seen_before = (
        session.scalar(select(KnownNetwork.network).where(KnownNetwork.user_id == user.id).limit(1))
        is not None
    )
    recent = known is not None and as_utc(known.last_seen_at) + within > now
    if known is None:
        session.add(KnownNetwork(user_id=user.id, network=network, last_seen_at=now))
    else:
        known.last_seen_at = now
    return seen_before and not recent
