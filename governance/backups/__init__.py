"""Backups of the platform's state, kept on a target: a local directory or S3."""

from governance.backups.targets import (
    BackupTarget,
    FileTarget,
    S3Target,
    StoredObject,
    target_from_url,
)

__all__ = ["BackupTarget", "FileTarget", "S3Target", "StoredObject", "target_from_url"]
