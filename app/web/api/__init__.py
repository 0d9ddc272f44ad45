"""The JSON API under ``/api/v1``: one module a resource, each a thin router over ``services``."""

from fastapi import APIRouter

from app.web.api import admin, assist, audit, auth, data, me
from app.web.problems import documented

router = APIRouter(prefix="/api/v1", responses=documented(400, 422))
for module in (auth, me, data, assist, admin, audit):
    router.include_router(module.router)
