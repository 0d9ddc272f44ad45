"""The control plane: tenants, connections and keys in SQLAlchemy, migrated by Alembic."""
