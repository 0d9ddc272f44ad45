"""The signed-in user's own page: second factors, API tokens, signing out."""

from fastapi import Request
from fastapi.responses import HTMLResponse

from app.web.deps import Acting, CurrentCaller
from app.web.pages.render import page_router, render
from services import auth

router = page_router()


@router.get("/account")
def account(request: Request, ctx: Acting, caller: CurrentCaller) -> HTMLResponse:
    return render(
        request,
        "account.html",
        "Your account",
        me=auth.whoami(ctx, caller.tenant),
        tokens=auth.list_api_tokens(ctx, caller.tenant),
    )
