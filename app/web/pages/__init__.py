"""The server-rendered web UI: pages that read through ``services`` as the signed-in caller and
change nothing themselves; ``static/app.js`` makes every change through the JSON API."""

from fastapi import APIRouter

from app.web.pages import account, admin, assist, audit, connections, data, signin
from app.web.pages.render import STATIC

__all__ = ["STATIC", "router"]

router = APIRouter()
for module in (signin, data, assist, account, admin, connections, audit):
    router.include_router(module.router)
