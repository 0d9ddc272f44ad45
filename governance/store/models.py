"""Control-plane tables: tenants, keys, connections, identities, policies, loads and the audit
trail."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def _new_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_new_id)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    backup_retention_days: Mapped[int] = mapped_column(default=7, server_default="7")
    """Days of backups kept restorable (every second of them), 1 to 30."""

    connections: Mapped[list["Connection"]] = relationship(
        back_populates="tenant", cascade="all, delete-orphan", order_by="Connection.name"
    )
    data_keys: Mapped[list["DataKey"]] = relationship(
        back_populates="tenant", cascade="all, delete-orphan"
    )


class DataKey(Base):
    """A tenant's data key for one purpose, stored only wrapped by the key manager."""

    __tablename__ = "data_keys"
    __table_args__ = (UniqueConstraint("tenant_id", "purpose"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(40))
    master_key_id: Mapped[str] = mapped_column(String(300))
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    tenant: Mapped[Tenant] = relationship(back_populates="data_keys")


class Connection(Base):
    """A tenant's connection to one SaaS tool; secrets are an envelope-encrypted blob."""

    __tablename__ = "connections"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(40))
    connector: Mapped[str] = mapped_column(String(80))
    config: Mapped[dict] = mapped_column(JSON, default=dict)
    secrets_blob: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    secret_keys: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(String(32), default="active", server_default="active")
    """``active``, or ``needs_reauthorization`` once its vendor refused the refresh token."""
    authorized_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    """When a person last authorized it at the vendor (OAuth connections only)."""

    tenant: Mapped[Tenant] = relationship(back_populates="connections")


class OAuthAuthorization(Base):
    """An authorization-code flow in progress: a person was sent to the vendor and has not come
    back yet. Found by the SHA-256 of its ``state``; the PKCE verifier and the app's
    credentials are sealed with the tenant's connection-secrets key. Used once, then deleted."""

    __tablename__ = "oauth_authorizations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    connector: Mapped[str] = mapped_column(String(80))
    connection: Mapped[str] = mapped_column(String(40))
    connection_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """The connection a re-authorization is for: the same one must be there when it ends."""
    config: Mapped[dict] = mapped_column(JSON, default=dict)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


user_roles = Table(
    "user_roles",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True),
)
user_groups = Table(
    "user_groups",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
)
policy_roles = Table(
    "policy_roles",
    Base.metadata,
    Column("policy_id", ForeignKey("policies.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True),
)
policy_groups = Table(
    "policy_groups",
    Base.metadata,
    Column("policy_id", ForeignKey("policies.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
)


class Role(Base):
    """A tenant's role: the built-in owner, admin, member and viewer, or a custom one."""

    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(40))
    builtin: Mapped[bool] = mapped_column(default=False)
    permissions: Mapped[list] = mapped_column(JSON, default=list)


class Group(Base):
    __tablename__ = "groups"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))


class User(Base):
    """A person of one tenant, with roles, groups and attributes that policies can use."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("tenant_id", "email"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    roles: Mapped[list[Role]] = relationship(secondary=user_roles, order_by=Role.name)
    groups: Mapped[list[Group]] = relationship(secondary=user_groups, order_by=Group.name)
    attributes: Mapped[list["UserAttribute"]] = relationship(
        cascade="all, delete-orphan", order_by="(UserAttribute.key, UserAttribute.value)"
    )


class UserAttribute(Base):
    """One value of a user attribute; several rows with one key make it multi-valued."""

    __tablename__ = "user_attributes"
    __table_args__ = (UniqueConstraint("user_id", "key", "value"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(80))
    value: Mapped[str] = mapped_column(String(500))


class Policy(Base):
    """A row filter on one table, granted to roles and groups."""

    __tablename__ = "policies"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    table_name: Mapped[str] = mapped_column(String(120))
    predicate: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    roles: Mapped[list[Role]] = relationship(secondary=policy_roles, order_by=Role.name)
    groups: Mapped[list[Group]] = relationship(secondary=policy_groups, order_by=Group.name)


class AuditEvent(Base):
    """One audited action. Events of a tenant form a hash chain, so tampering shows.

    Kept without a foreign key: a deleted tenant's trail outlives it.
    """

    __tablename__ = "audit_events"
    __table_args__ = (UniqueConstraint("tenant_id", "sequence"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(32))
    sequence: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(80))
    outcome: Mapped[str] = mapped_column(String(40))
    context: Mapped[dict] = mapped_column(JSON, default=dict)
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class Load(Base):
    """One ingestion run that published a snapshot, whoever started it (CLI, Dagster, demo).

    Dagster reports each as a materialization of its connection's partition; ``reported_at`` is
    set once it has (at once for runs Dagster itself made).
    """

    __tablename__ = "loads"
    __table_args__ = (Index("ix_loads_unreported", "reported_at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    tenant_slug: Mapped[str] = mapped_column(String(40))
    connection: Mapped[str] = mapped_column(String(40))
    connector: Mapped[str] = mapped_column(String(80))
    started_by: Mapped[str] = mapped_column(String(320))
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    duration_s: Mapped[float] = mapped_column(Float)
    snapshot: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rows: Mapped[dict] = mapped_column(JSON, default=dict)
    reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Credential(Base):
    """How a user signs in: an argon2id password hash and a TOTP secret (sealed under the
    tenant's credentials key), with the last TOTP time step accepted so no code works twice."""

    __tablename__ = "credentials"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    totp_blob: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    totp_confirmed: Mapped[bool] = mapped_column(default=False)
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RecoveryCode(Base):
    """A single-use MFA recovery code, stored hashed."""

    __tablename__ = "recovery_codes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SignInChallenge(Base):
    """A sign-in whose password was right, waiting for its second factor."""

    __tablename__ = "sign_in_challenges"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    email_code_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)


class WebSession(Base):
    """A signed-in browser session, known by the hash of its cookie."""

    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)


class ApiToken(Base):
    """A personal API token for automation, stored hashed; it acts with its user's permissions."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SignInAttempt(Base):
    """One password attempt, kept for throttling: the account as a hash of tenant and email
    (so unknown accounts throttle alike), the client address, and whether it succeeded."""

    __tablename__ = "sign_in_attempts"
    __table_args__ = (
        Index("ix_attempts_account", "account", "at"),
        Index("ix_attempts_ip", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    account: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(default=False)


class KnownNetwork(Base):
    """A network (IPv4 /24, IPv6 /48) a user signed in from, and when they last did."""

    __tablename__ = "known_networks"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    network: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
