"""``atspark sandbox serve``: local simulators of vendor APIs."""

from enum import StrEnum

import typer

sandbox_app = typer.Typer(help="Local simulators of vendor APIs.", no_args_is_help=True)


class Vendor(StrEnum):
    stripe = "stripe"


@sandbox_app.command("serve")
def serve(
    vendor: Vendor,
    port: int = typer.Option(12111, help="Port on 127.0.0.1."),
    seed: int = typer.Option(42, help="Seed of the deterministic dataset."),
) -> None:
    """Serve a vendor simulator on 127.0.0.1 until interrupted."""
    from connectors.sandbox.stripe import serve as serve_stripe

    serve_stripe(port=port, seed=seed)
