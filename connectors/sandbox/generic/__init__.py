"""The generic simulator of declarative connectors (``atspark sandbox serve NAME``)."""

from collections.abc import Iterator
from contextlib import contextmanager

from connectors.declarative.spec import ConnectorSpec
from connectors.sandbox.generic.app import Faults, create_app
from connectors.sandbox.server import running, serve_forever

__all__ = ["Faults", "create_app", "running_simulator", "serve"]


@contextmanager
def running_simulator(
    spec: ConnectorSpec, seed: int = 42, faults: Faults = Faults(), port: int = 0
) -> Iterator[tuple[str, object]]:
    """Serve ``spec``'s simulator on 127.0.0.1 for the block: its base URL and the simulator."""
    app = create_app(spec, seed, faults)
    with running(app, port) as url:
        yield url, app.state.simulator


def serve(
    spec: ConnectorSpec,
    port: int,
    seed: int = 42,
    faults: Faults = Faults(),
    records: int | None = None,
) -> None:
    """Serve ``spec``'s simulator in the foreground until interrupted."""
    serve_forever(create_app(spec, seed, faults, records), port)
