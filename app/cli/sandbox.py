"""``atspark sandbox serve``: local simulators of vendor APIs, one for every HTTP connector."""

import typer

sandbox_app = typer.Typer(help="Local simulators of vendor APIs.", no_args_is_help=True)


@sandbox_app.command("serve")
def serve(
    connector: str = typer.Argument(
        ..., help="A connector of the catalog (atspark connector list)."
    ),
    port: int = typer.Option(12111, min=1, max=65535, help="Port on 127.0.0.1."),
    seed: int = typer.Option(42, help="Seed of the deterministic dataset."),
    rate_limit_every: int = typer.Option(
        None,
        min=0,
        help="Answer every Nth request with a 429 and Retry-After (0: never; stripe: 50 unless "
        "given, the others never).",
    ),
    error_every: int = typer.Option(0, min=0, help="Answer every Nth request with a 503."),
    records: int = typer.Option(
        None, min=1, help="Records of each stream (default: enough for a few pages)."
    ),
    customers: int = typer.Option(300, min=1, help="stripe: customers in the dataset."),
    api_key: str = typer.Option("sk_test_sandbox", help="stripe: the API key it accepts."),
) -> None:
    """Serve a connector's simulator on 127.0.0.1 until interrupted."""
    from connectors.registry import get_connector
    from governance.errors import AtsparkError

    found = get_connector(connector)
    if found.name == "stripe":
        from connectors.sandbox.stripe import serve as serve_stripe

        serve_stripe(
            port=port,
            seed=seed,
            customers=customers,
            api_key=api_key,
            rate_limit_every=50 if rate_limit_every is None else rate_limit_every or None,
            error_every=error_every or None,
        )
        return
    app = found.simulator(seed, records, rate_limit_every or 0, error_every)
    if app is None:
        raise AtsparkError(f"connector {found.name!r} has no simulator (it does not speak HTTP)")
    from connectors.sandbox.server import serve_forever

    banner = getattr(app.state, "banner", "")
    typer.echo(f"{found.name} simulator on http://127.0.0.1:{port} (Ctrl-C stops it)", err=True)
    if banner:
        typer.echo(banner.format(base_url=f"http://127.0.0.1:{port}"), err=True)
    serve_forever(app, port)
