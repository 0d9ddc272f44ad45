"""oauth connections: a connection's status and when it was authorized, and the
authorization-code flows in progress

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("connections") as batch:
        batch.add_column(
            sa.Column("status", sa.String(length=32), nullable=False, server_default="active")
        )
        batch.add_column(sa.Column("authorized_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "oauth_authorizations",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("connector", sa.String(length=80), nullable=False),
        sa.Column("connection", sa.String(length=40), nullable=False),
        sa.Column("connection_id", sa.String(length=32), nullable=True),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("redirect_uri", sa.String(length=2000), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("state_hash"),
    )


def downgrade() -> None:
    op.drop_table("oauth_authorizations")
    with op.batch_alter_table("connections") as batch:
        batch.drop_column("authorized_at")
        batch.drop_column("status")
