"""``create_app``: the serving app, its middleware and its routers."""

from importlib.metadata import version

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.web import api, pages, problems
from app.web.edge import edge
from governance.platform import Platform
from governance.settings import Settings, get_settings


def create_app(settings: Settings | None = None, platform: Platform | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="atspark",
        version=version("atspark"),
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.platform = platform or Platform(settings)
    app.router.redirect_slashes = False  # a redirect built from the Host header is a way out
    problems.install(app)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC), name="static")

    app.middleware("http")(edge)

    @app.get("/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/version", tags=["meta"])
    def app_version() -> dict[str, str]:
        return {"name": "atspark", "version": app.version, "warehouse": settings.warehouse}

    return app
