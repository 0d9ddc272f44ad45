"""Alembic environment: runs against the connection handed in by ``governance.store.db``."""

from alembic import context

from governance.store.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
