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


class AuthenticationFailed(AtsparkError):
    """The credentials, code or session given do not sign anyone in; deliberately says no more."""


class TooManyAttempts(AtsparkError):
    """Sign-in is throttled for this account or client address for ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
