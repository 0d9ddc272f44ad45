"""Synthetic audit streams: tenants' normal traffic (seeded) and injected attacks, replayed as
one stream ordered as the control plane hands it over (by time, each tenant's chain numbered)."""

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from itertools import chain, cycle
from random import Random
from typing import Any, NamedTuple

from governance.anomalies import Event

START = datetime(2026, 3, 2, tzinfo=UTC)
"""When streams start: midnight UTC."""
ROTATION = "connection.secrets_rotated"
PIPELINE = "service:dagster"
"""Who rotates tokens (routine loads)."""


class Draft(NamedTuple):
    """An event yet to be numbered in its tenant's chain."""

    at: datetime
    tenant: str | None
    actor: str
    action: str
    outcome: str
    context: dict[str, Any]


def replay(*parts: Iterable[Draft]) -> list[Event]:
    """``parts`` merged, oldest first (ties: in the order given), each tenant's chain numbered."""
    drafts = sorted(chain.from_iterable(parts), key=lambda draft: draft.at)
    numbered: Counter[str | None] = Counter()
    events = []
    for at, tenant, actor, action, outcome, context in drafts:
        numbered[tenant] += 1
        events.append(Event(tenant, numbered[tenant], at, actor, action, outcome, context))
    return events


def user(tenant: str, n: int) -> str:
    return f"user{n}@{tenant}.example"


def home_address(tenant: str, n: int) -> str:
    return f"198.51.{sum(map(ord, tenant)) % 250}.{n + 1}"


def sign_in(
    tenant: str,
    at: datetime,
    account: str,
    ip: str,
    outcome: str = "ok",
    step: str = "auth.login",
    reason: str = "wrong password",
) -> Draft:
    context = {"ip": ip} | ({"reason": reason} if outcome == "refused" else {})
    return Draft(at, tenant, account, step, outcome, context)


def read(tenant: str, at: datetime, reader: str, rows: int, action: str = "query") -> Draft:
    context: dict[str, Any] = {"row_count": rows, "sql": "SELECT * FROM deals"}
    if action == "query.export":
        context["destination"] = "/exports/deals.csv"
    return Draft(at, tenant, reader, action, "ok", context)


def connection_event(
    tenant: str,
    at: datetime,
    action: str,
    connection: str = "stripe",
    actor: str = "admin@example.com",
    outcome: str = "ok",
    **context: Any,
) -> Draft:
    return Draft(at, tenant, actor, action, outcome, {"connection": connection, **context})


def flagged(tenant: str, at: datetime, actor: str, ip: str, reason: str, **context: Any) -> Draft:
    context = {"ip": ip, "reason": reason, **context}
    return Draft(at, tenant, actor, "auth.suspicious_login", "flagged", context)


def new_network(tenant: str, at: datetime, account: str, ip: str) -> Draft:
    reason = "sign-in from a network not used in 30 days"
    return flagged(tenant, at, account, ip, reason, network=f"{ip.rsplit('.', 1)[0]}.0/24")


def normal_traffic(
    tenant: str,
    *,
    days: int = 3,
    users: int = 4,
    connections: Sequence[str] = ("stripe", "hubspot"),
    start: datetime = START,
    seed: int = 0,
) -> list[Draft]:
    """A tenant's ordinary days: each user signs in once from home (now and then after a typo)
    and reads a few thousand rows an hour in working hours, exporting now and then; every
    connection's token is rotated at night."""
    random = Random(f"{tenant}:{seed}")
    drafts = []
    for day in range(days):
        midnight = start + timedelta(days=day)
        for connection in connections:
            at = midnight + timedelta(hours=3, seconds=random.randrange(3600))
            drafts.append(
                connection_event(tenant, at, ROTATION, connection, PIPELINE, secrets=["token"])
            )
        for n in range(users):
            drafts += _working_day(random, tenant, n, midnight)
    return drafts


def _working_day(random: Random, tenant: str, n: int, midnight: datetime) -> list[Draft]:
    account, ip = user(tenant, n), home_address(tenant, n)
    at = midnight + timedelta(hours=8, seconds=random.randrange(5400))
    drafts = []
    if random.random() < 0.15:
        drafts.append(sign_in(tenant, at - timedelta(seconds=20), account, ip, "refused"))
    drafts += [
        sign_in(tenant, at, account, ip),
        sign_in(tenant, at + timedelta(seconds=15), account, ip, step="auth.mfa"),
    ]
    for hour in range(9, 18):
        for _ in range(random.randint(1, 4)):
            at = midnight + timedelta(hours=hour, seconds=random.randrange(3600))
            action = "assist.ask" if random.random() < 0.15 else "query"
            drafts.append(read(tenant, at, account, random.randint(1, 2000), action))
        if random.random() < 0.05:
            at = midnight + timedelta(hours=hour, seconds=random.randrange(3600))
            drafts.append(read(tenant, at, account, random.randint(100, 2000), "query.export"))
    return drafts


def guessing(
    tenant: str,
    at: datetime,
    account: str,
    attempts: int,
    ips: Sequence[str] = ("192.0.2.1",),
    every: timedelta = timedelta(seconds=30),
) -> list[Draft]:
    """Refused sign-ins to ``account``, one ``every``, from ``ips`` in turn."""
    addresses = cycle(ips)
    return [
        sign_in(tenant, at + k * every, account, next(addresses), "refused")
        for k in range(attempts)
    ]


def spray(
    tenant: str,
    at: datetime,
    ip: str,
    accounts: Sequence[str],
    every: timedelta = timedelta(seconds=10),
) -> list[Draft]:
    """One refused sign-in from ``ip`` to each of ``accounts``, one ``every``."""
    return [
        sign_in(tenant, at + k * every, account, ip, "refused", reason="unknown account")
        for k, account in enumerate(accounts)
    ]
