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
    customers: int = typer.Option(300, min=1, help="Customers in the dataset."),
    rate_limit_every: int = typer.Option(
        50, min=0, help="Answer every Nth request with a 429 (0: never)."
    ),
    api_key: str = typer.Option("sk_test_sandbox", help="The API key the sandbox accepts."),
) -> None:
    """Serve a vendor simulator on 127.0.0.1 until interrupted."""
    from connectors.sandbox.stripe import serve as serve_stripe

    serve_stripe(
        port=port,
        seed=seed,
        customers=customers,
        api_key=api_key,
        rate_limit_every=rate_limit_every or None,
    )
