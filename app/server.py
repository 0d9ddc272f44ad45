"""The serving app. Until the app issue lands: health and version."""

from importlib.metadata import version

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from governance.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(title="atspark", version=version("atspark"))

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/version")
    def app_version() -> dict[str, str]:
        return {"name": "atspark", "version": app.version, "warehouse": settings.warehouse}

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        return (
            f"<!doctype html><title>atspark</title><h1>atspark {app.version}</h1>"
            '<p>Status: ok. <a href="/health">health</a> · <a href="/version">version</a></p>'
        )

    return app
