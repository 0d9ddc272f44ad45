"""Local simulators of vendor APIs ("sandboxes"), served over real HTTP on 127.0.0.1.

Each sandbox serves a deterministic dataset so connectors, tests and benchmarks run offline
against the same bytes every time. :mod:`connectors.sandbox.server` runs any ASGI app in a
background thread; :mod:`connectors.sandbox.stripe` is the Stripe API simulator.
"""

from connectors.sandbox.server import running, serve_forever

__all__ = ["running", "serve_forever"]
