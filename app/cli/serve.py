"""``atspark serve``: run the serving app alone."""

import typer


def serve_command(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
) -> None:
    """Serve the app (sign-in, governed queries, administration) over HTTP."""
    import uvicorn

    from app.cli.context import operator
    from app.web.main import create_app

    platform = operator().platform  # fails here, in one line, if the home is unusable
    # Forwarded client addresses are believed only from uvicorn's FORWARDED_ALLOW_IPS
    # (127.0.0.1 unless set): sign-in throttling and alerts count by client address.
    uvicorn.run(create_app(platform.settings, platform), host=host, port=port, proxy_headers=True)
