"""The signed-in user: who they are, their second factors and their API tokens."""

from datetime import timedelta

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.web.deps import Acting, CurrentCaller
from app.web.problems import documented
from governance.auth import totp
from services import auth
from services.auth import TokenInfo

router = APIRouter(prefix="/me", tags=["me"], responses=documented(401, 403, 404))


class UserRef(BaseModel):
    id: str
    email: str


class TenantRef(BaseModel):
    slug: str
    name: str


class Me(BaseModel):
    user: UserRef
    tenant: TenantRef
    roles: list[str]
    groups: list[str]
    permissions: list[str]
    mfa: list[str]


class TotpStarted(BaseModel):
    secret: str
    otpauth_uri: str
    qr_svg: str


class Code(BaseModel):
    code: str = Field(max_length=64)


class RecoveryCodes(BaseModel):
    recovery_codes: list[str]


class NewToken(BaseModel):
    name: str = Field(default="", max_length=80)
    ttl_days: int = Field(default=30, ge=1, le=365)


class CreatedToken(BaseModel):
    token: str
    info: TokenInfo


@router.get("")
def me(ctx: Acting, caller: CurrentCaller) -> Me:
    """The signed-in user, their tenant, roles, groups, permissions and second factors."""
    return Me(**auth.whoami(ctx, caller.tenant))


@router.post("/mfa/totp")
def start_totp(ctx: Acting, caller: CurrentCaller) -> TotpStarted:
    """Start TOTP enrollment: a new secret, as text and as a QR code for authenticator apps."""
    enrollment = auth.start_totp(ctx, caller.tenant)
    return TotpStarted(
        secret=enrollment.secret, otpauth_uri=enrollment.uri, qr_svg=totp.qr_svg(enrollment.uri)
    )


@router.post("/mfa/totp/confirm")
def confirm_totp(body: Code, ctx: Acting, caller: CurrentCaller) -> RecoveryCodes:
    """Confirm enrollment with a current code; returns recovery codes, shown this once."""
    return RecoveryCodes(recovery_codes=auth.confirm_totp(ctx, caller.tenant, body.code))


@router.delete("/mfa/totp", status_code=204)
def remove_totp(ctx: Acting, caller: CurrentCaller) -> None:
    """Stop using TOTP (emailed codes remain: a second factor is always required)."""
    auth.remove_totp(ctx, caller.tenant)


@router.get("/tokens")
def list_tokens(ctx: Acting, caller: CurrentCaller) -> list[TokenInfo]:
    """The caller's live API tokens (never the tokens themselves)."""
    return auth.list_api_tokens(ctx, caller.tenant)


@router.post("/tokens", status_code=201)
def create_token(body: NewToken, ctx: Acting, caller: CurrentCaller) -> CreatedToken:
    """A personal API token, shown this once; it acts with the caller's permissions."""
    token, info = auth.create_api_token(
        ctx, caller.tenant, caller.email, timedelta(days=body.ttl_days), body.name
    )
    return CreatedToken(token=token, info=info)


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: str, ctx: Acting, caller: CurrentCaller) -> None:
    auth.revoke_api_token(ctx, caller.tenant, token_id)
