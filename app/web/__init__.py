"""The serving app: a JSON API under ``/api/v1`` and server-rendered pages, both thin layers over
``services``. ``create_app`` builds it; ``atspark serve`` runs it."""
