"""Opaque secrets handed to clients (session cookies, API tokens, MFA challenges, codes) and the
digests the control plane keeps of them: a leaked control plane gives no usable secret."""

import hashlib
import hmac
import secrets

API_TOKEN_PREFIX = "atspark_"


def new_token(prefix: str = "") -> str:
    """256 random bits, URL-safe."""
    return prefix + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """What is stored of a high-entropy secret: its SHA-256 (no salt needed at 256 bits)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def csrf_token(session_token: str) -> str:
    """The CSRF token bound to a session: derived from the cookie's secret, which a cross-site
    page cannot read, so nothing more need be stored."""
    return hmac.new(session_token.encode(), b"atspark-csrf", hashlib.sha256).hexdigest()


def same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def numeric_code(digits: int = 6) -> str:
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def recovery_code() -> str:
    """Ten characters from an alphabet without look-alikes, grouped ``xxxxx-xxxxx``."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def normalize_code(code: str) -> str:
    return code.strip().lower().replace(" ", "")
