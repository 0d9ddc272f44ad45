"""sign-in: credentials, recovery codes, MFA challenges, sessions, API tokens, throttling

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _user_id(**options) -> sa.Column:
    return sa.Column(
        "user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), **options
    )


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "credentials",
        _user_id(primary_key=True),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.Column("totp_blob", sa.LargeBinary(), nullable=True),
        sa.Column("totp_confirmed", sa.Boolean(), nullable=False),
        sa.Column("totp_last_step", sa.Integer(), nullable=True),
        _at("updated_at"),
    )
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.String(32), primary_key=True),
        _user_id(nullable=False, index=True),
        sa.Column("code_hash", sa.String(64), nullable=False),
        _at("used_at", nullable=True),
    )
    op.create_table(
        "sign_in_challenges",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        _user_id(nullable=False, index=True),
        _at("created_at"),
        _at("expires_at"),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("email_code_hash", sa.String(64), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
    )
    op.create_table(
        "web_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        _user_id(nullable=False, index=True),
        _at("created_at"),
        _at("last_seen_at"),
        sa.Column("ip", sa.String(64), nullable=True),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(32), primary_key=True),
        _user_id(nullable=False, index=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        _at("created_at"),
        _at("expires_at"),
        _at("revoked_at", nullable=True),
    )
    op.create_table(
        "sign_in_attempts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _at("at"),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_attempts_account", "sign_in_attempts", ["account", "at"])
    op.create_index("ix_attempts_ip", "sign_in_attempts", ["ip", "at"])
    op.create_table(
        "known_networks",
        _user_id(primary_key=True),
        sa.Column("network", sa.String(64), primary_key=True),
        _at("last_seen_at"),
    )


def downgrade() -> None:
    for table in (
        "known_networks",
        "sign_in_attempts",
        "api_tokens",
        "web_sessions",
        "sign_in_challenges",
        "recovery_codes",
        "credentials",
    ):
        op.drop_table(table)
