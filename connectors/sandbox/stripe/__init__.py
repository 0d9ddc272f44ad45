"""Stripe API sandbox: a deterministic, realistic Stripe account served over real HTTP.

    from connectors.sandbox.stripe import running_stripe_sandbox

    with running_stripe_sandbox(seed=42, customers=300, rate_limit_every=None) as base_url:
        client = stripe.StripeClient("sk_test_sandbox", base_addresses={"api": base_url})
        for customer in client.v1.customers.list({"limit": 100}).auto_paging_iter():
            ...

``serve()`` runs it in the foreground (for the CLI); :func:`dataset.generate` builds the data and
:func:`app.create_app` the ASGI app.
"""

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from connectors.sandbox.server import LOOPBACK, running, serve_forever
from connectors.sandbox.stripe.app import (
    DEFAULT_API_KEY,
    DEFAULT_RATE_LIMIT_EVERY,
    create_app,
)
from connectors.sandbox.stripe.dataset import (
    DEFAULT_CUSTOMERS,
    REFERENCE_NOW,
    StripeDataset,
    generate,
)

DEFAULT_PORT = 12111
DEFAULT_SEED = 42

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_CUSTOMERS",
    "DEFAULT_PORT",
    "DEFAULT_RATE_LIMIT_EVERY",
    "DEFAULT_SEED",
    "REFERENCE_NOW",
    "StripeDataset",
    "create_app",
    "generate",
    "running_stripe_sandbox",
    "serve",
]


@contextmanager
def running_stripe_sandbox(
    seed: int = DEFAULT_SEED,
    customers: int = DEFAULT_CUSTOMERS,
    rate_limit_every: int | None = DEFAULT_RATE_LIMIT_EVERY,
    *,
    api_key: str = DEFAULT_API_KEY,
    error_every: int | None = None,
    retry_after: int = 1,
    port: int = 0,
    prerender: bool | Sequence[str] = True,
    dataset: StripeDataset | None = None,
) -> Iterator[str]:
    """Serve a sandbox on 127.0.0.1 (an ephemeral port by default) and yield its base URL.

    The base URL has no ``/v1`` suffix: pass it as the Stripe SDK's ``api`` base address or a
    connector's ``base_url``. A ``dataset`` given explicitly is served as is.
    """
    if dataset is None:
        dataset = generate(seed, customers)
    app = create_app(
        dataset,
        api_key,
        rate_limit_every,
        error_every=error_every,
        retry_after=retry_after,
        prerender=prerender,
    )
    with running(app, port=port) as base_url:
        yield base_url


def serve(
    port: int = DEFAULT_PORT,
    seed: int = DEFAULT_SEED,
    customers: int = DEFAULT_CUSTOMERS,
    host: str = LOOPBACK,
    *,
    api_key: str = DEFAULT_API_KEY,
    rate_limit_every: int | None = DEFAULT_RATE_LIMIT_EVERY,
    error_every: int | None = None,
) -> None:
    """Generate the dataset and serve it in the foreground until interrupted.

    Each endpoint's objects are serialized on its first request, so start-up stays quick and
    memory holds only what clients ask for.
    """
    dataset = generate(seed, customers)
    app = create_app(dataset, api_key, rate_limit_every, error_every=error_every, prerender=False)
    counts = dataset.counts()
    key_hint = f" (API key: {api_key})" if api_key == DEFAULT_API_KEY else ""
    print(
        f"Stripe sandbox on http://{host}:{port}{key_hint}: seed {seed}, "
        f"{counts['customers']} customers, {counts['charges']} charges, "
        f"{counts['invoices']} invoices; rate limit every {rate_limit_every or 'never'}.",
        file=sys.stderr,
        flush=True,
    )
    serve_forever(app, port=port, host=host)
