"""Time-based one-time passwords (RFC 6238) for authenticator apps, with replay refused: a code
is accepted only for a time step later than the last one accepted."""

import hmac
import time

import pyotp
import segno

ISSUER = "atspark"
STEP_SECONDS = 30
DRIFT_STEPS = 1
"""Codes of one step either side of now are accepted, for clocks that drift."""


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, account: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The enrollment QR code as inline SVG (no image library, no external service)."""
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#111", light="#fff")


def accepted_step(
    secret: str, code: str, last_step: int | None, now: float | None = None
) -> int | None:
    """The time step ``code`` belongs to, if it is valid now and newer than ``last_step``."""
    code = code.strip()
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int((time.time() if now is None else now) // STEP_SECONDS)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step if last_step is None or step > last_step else None
    return None
