"""Alembic migrations of the control plane (``versions/``), applied by ``atspark db upgrade``."""

HEAD_REVISION = "0006"
"""The newest revision in ``versions/``: what this code expects the control plane to be at."""
