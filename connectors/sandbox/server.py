"""Run an ASGI app over real HTTP on loopback: in a background thread, or blocking."""

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

LOOPBACK = "127.0.0.1"


def _config(app: Any, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        server_header=False,
        date_header=False,
    )


@contextmanager
def running(
    app: Any, port: int = 0, host: str = LOOPBACK, startup_timeout: float = 10.0
) -> Iterator[str]:
    """Serve ``app`` in a daemon thread for the duration of the block; yield its base URL.

    ``port=0`` picks a free ephemeral port. The socket is bound before the thread starts,
    so the URL is valid as soon as the block is entered.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
        bound_port = sock.getsockname()[1]
        server = uvicorn.Server(_config(app, host, bound_port))
        errors: list[BaseException] = []

        def serve() -> None:
            try:
                server.run(sockets=[sock])
            except BaseException as error:
                errors.append(error)

        thread = threading.Thread(target=serve, name=f"sandbox-{bound_port}", daemon=True)
        thread.start()
        deadline = time.monotonic() + startup_timeout
        while not server.started:
            if errors or not thread.is_alive():
                raise RuntimeError(f"sandbox server failed to start: {errors[:1]!r}")
            if time.monotonic() > deadline:
                server.should_exit = True
                raise TimeoutError(f"sandbox server did not start within {startup_timeout}s")
            time.sleep(0.005)
        try:
            yield f"http://{host}:{bound_port}"
        finally:
            server.should_exit = True
            thread.join(timeout=10)
    finally:
        sock.close()


def serve_forever(app: Any, port: int, host: str = LOOPBACK) -> None:
    """Serve ``app`` in the foreground until interrupted (Ctrl-C / SIGTERM)."""
    uvicorn.Server(_config(app, host, port)).run()
