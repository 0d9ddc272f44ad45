"""Sign-in: password, then a second factor, then a session cookie; signing out."""

from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from app.web import cookies
from app.web.deps import Acting, CurrentCaller, RequestContext
from app.web.problems import documented
from services import auth

router = APIRouter(prefix="/auth", tags=["auth"], responses=documented(401, 429))


class Login(BaseModel):
    tenant: str = Field(max_length=200)
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)


class MfaChallenge(BaseModel):
    mfa_required: bool = True
    challenge: str
    methods: list[str]


class Mfa(BaseModel):
    challenge: str = Field(max_length=200)
    method: Literal["totp", "email", "recovery"]
    code: str = Field(max_length=64)


class ChallengeOnly(BaseModel):
    challenge: str = Field(max_length=200)


class Csrf(BaseModel):
    csrf_token: str


class Sent(BaseModel):
    sent: bool


class Ended(BaseModel):
    sessions_ended: int


@router.post("/login")
def login(body: Login, ctx: RequestContext) -> MfaChallenge:
    """Check tenant, email and password; a second factor is always required next."""
    challenge = auth.sign_in(ctx, body.tenant, body.email, body.password)
    return MfaChallenge(challenge=challenge.token, methods=challenge.methods)


@router.post("/mfa/email", status_code=202)
def mfa_email(body: ChallengeOnly, ctx: RequestContext) -> Sent:
    """Email a one-time code for a pending sign-in."""
    auth.send_email_code(ctx, body.challenge)
    return Sent(sent=True)


@router.post("/mfa")
def mfa(body: Mfa, request: Request, response: Response, ctx: RequestContext) -> Csrf:
    """Complete sign-in with a TOTP, emailed or recovery code: sets a new session cookie."""
    previous = request.cookies.get(cookies.SESSION)
    signed_in = auth.complete_sign_in(ctx, body.challenge, body.method, body.code, previous)
    cookies.set_session(request, response, signed_in.session_token)
    return Csrf(csrf_token=signed_in.csrf_token)


@router.post("/logout", status_code=204)
def logout(request: Request, response: Response, ctx: Acting, caller: CurrentCaller) -> None:
    """End this session (a bearer token is revoked through ``/me/tokens`` instead)."""
    auth.sign_out(ctx, caller.tenant, request.cookies.get(cookies.SESSION, ""))
    cookies.clear_session(response)


@router.post("/logout-everywhere")
def logout_everywhere(response: Response, ctx: Acting, caller: CurrentCaller) -> Ended:
    """End every session of the caller, on every device."""
    ended = auth.sign_out_everywhere(ctx, caller.tenant)
    cookies.clear_session(response)
    return Ended(sessions_ended=ended)
