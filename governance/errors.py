"""Errors meant for users: each carries a message that is safe to show as is."""


class AtsparkError(Exception):
    """A user-facing failure: bad input, missing object, refused operation."""


class NotFoundError(AtsparkError):
    """The named object does not exist (or is not visible to the caller)."""


class ConflictError(AtsparkError):
    """The object already exists or the operation clashes with current state."""


class DecryptionError(AtsparkError):
    """A ciphertext is tampered, truncated, foreign or its key is gone."""


class PermissionDenied(AtsparkError):
    """The principal lacks the permission the operation needs; nothing was done."""
