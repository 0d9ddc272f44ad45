"""Attacks on the second factor by someone who knows the password: guessing codes."""

import time

import pyotp
import pytest

from services.auth import ACCOUNT_FAILURES
from tests.fixtures.platform import tenant_with_deals
from tests.fixtures.web import client, emailed_code, login, person

WRONG_CODES_PER_CHALLENGE = 5


@pytest.fixture
def ana(operator):
    tenant_with_deals(operator)
    return person(operator, "acme", "ana@acme.io", ["admin"])


def wrong_totp(secret: str, n: int) -> str:
    """A six-digit code that is none of the codes accepted around now."""
    totp = pyotp.TOTP(secret)
    now = time.time()
    accepted = {totp.at(now + drift) for drift in range(-120, 121, 30)}
    candidate = n
    while f"{candidate % 1_000_000:06d}" in accepted:
        candidate += 1
    return f"{candidate % 1_000_000:06d}"


def answer(http, challenge: str, method: str, code: str):
    return http.post(
        "/api/v1/auth/mfa", json={"challenge": challenge, "method": method, "code": code}
    )


def test_one_challenge_dies_after_a_few_wrong_codes(web, ana, settings):
    with client(web, ip="198.51.100.20") as http:
        challenge = login(http, ana).json()["challenge"]
        assert http.post("/api/v1/auth/mfa/email", json={"challenge": challenge}).status_code == 202
        code = emailed_code(settings.home, ana.email)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        for _ in range(WRONG_CODES_PER_CHALLENGE):
            assert answer(http, challenge, "email", wrong).status_code == 401
        assert answer(http, challenge, "email", code).status_code == 401  # the right code, too late


def test_wrong_codes_count_towards_the_account_lockout(web, ana):
    with client(web, ip="198.51.100.21") as http:
        challenge = login(http, ana).json()["challenge"]
        for n in range(WRONG_CODES_PER_CHALLENGE):
            answer(http, challenge, "totp", wrong_totp(ana.totp_secret, n))
        assert login(http, ana).status_code == 429


def test_a_locked_account_cannot_finish_sign_in_on_a_challenge_opened_earlier(web, ana):
    """Open several challenges with the (stolen) password first, then spend the guesses on them:
    the lockout the wrong codes trigger reaches every challenge, so guesses across challenges
    add up to the account's limit, and the right code on a challenge opened earlier is refused."""
    with client(web, ip="198.51.100.22") as http:
        challenges = [login(http, ana).json()["challenge"] for _ in range(4)]
        statuses = [
            answer(http, challenge, "totp", wrong_totp(ana.totp_secret, n)).status_code
            for n, challenge in enumerate(challenges[:3] * 4)
        ]
        assert login(http, ana).status_code == 429  # the account is locked by now
        right = answer(http, challenges[3], "totp", pyotp.TOTP(ana.totp_secret).now())
    assert statuses.count(401) == ACCOUNT_FAILURES and set(statuses) == {401, 429}
    assert right.status_code == 429, "a locked account still completed sign-in"
    assert "atspark_session" not in http.cookies
