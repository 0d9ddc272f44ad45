"""Who acts: the platform's operator or one of a tenant's users, with the request they came by."""

from dataclasses import dataclass, replace

from governance.platform import Platform


@dataclass(frozen=True)
class Operator:
    """Whoever runs the platform itself: the ``atspark`` CLI, ``make run``, Dagster.

    Holds every permission on every tenant; ``via`` names the tool in the audit trail.
    """

    via: str

    @property
    def actor(self) -> str:
        return f"operator:{self.via}"


@dataclass(frozen=True)
class TenantUser:
    """One of a tenant's people, by email; what they may do comes from their roles."""

    email: str
    via: str = "cli"
    """How they came: ``session`` (signed in with both factors), ``token`` (an API token) or
    ``cli`` (the operator's ``--as``)."""

    @property
    def actor(self) -> str:
        return self.email


@dataclass(frozen=True)
class Anonymous:
    """Someone not signed in (yet): may only try to sign in."""

    @property
    def actor(self) -> str:
        return "anonymous"


Principal = Operator | TenantUser | Anonymous


@dataclass(frozen=True)
class ServiceContext:
    """What every service call gets: the platform, who acts, and the request they came by."""

    platform: Platform
    principal: Principal
    ip: str | None = None
    request_id: str | None = None
    request: tuple[tuple[str, str], ...] = ()
    """What the audit trail keeps of the request besides IP and id: method, path, user agent
    (never a body, header value with a secret, or query string)."""

    def acting_as(self, principal: Principal) -> "ServiceContext":
        """The same context for another principal (``atspark sql --as EMAIL``)."""
        return replace(self, principal=principal)
