"""Second factors: TOTP enrollment by QR code and secret, recovery codes, emailed codes."""

import pyotp
import pytest

from services import identity
from tests.fixtures.platform import tenant_with_deals
from tests.fixtures.web import PASSWORD, Person, client, emailed_code, login, sign_in


@pytest.fixture
def newcomer(operator) -> Person:
    """A user with a password and no TOTP yet: the emailed code is their second factor."""
    tenant_with_deals(operator)
    user = identity.add_user(operator, "acme", "neo@acme.io", ["member"], password=PASSWORD)
    return Person("acme", user.email, PASSWORD, "", user.id)


def mfa(http, challenge: str, method: str, code: str):
    return http.post(
        "/api/v1/auth/mfa", json={"challenge": challenge, "method": method, "code": code}
    )


def test_enrolling_totp_by_qr_code_then_signing_in_with_it(web, newcomer, settings):
    with client(web) as http:
        assert login(http, newcomer).json()["methods"] == ["email"]
        sign_in(http, newcomer, settings.home)
        started = http.post("/api/v1/me/mfa/totp").json()
        assert started["qr_svg"].startswith("<svg") and started["otpauth_uri"].startswith(
            "otpauth://totp/"
        )
        secret = started["secret"]
        wrong = http.post("/api/v1/me/mfa/totp/confirm", json={"code": "000000"})
        assert wrong.status_code == 400
        confirmed = http.post(
            "/api/v1/me/mfa/totp/confirm", json={"code": pyotp.TOTP(secret).now()}
        )
        codes = confirmed.json()["recovery_codes"]
        assert len(codes) == 10 and len(set(codes)) == 10
        assert http.get("/api/v1/me").json()["mfa"] == ["totp", "email", "recovery"]
    with client(web) as http:
        challenge = login(http, newcomer).json()["challenge"]
        # the code used to confirm was spent: TOTP takes the next time step's code only
        assert mfa(http, challenge, "totp", pyotp.TOTP(secret).now()).status_code == 401
        assert mfa(http, challenge, "recovery", codes[0].upper()).status_code == 200
    with client(web) as http:
        challenge = login(http, newcomer).json()["challenge"]
        assert mfa(http, challenge, "recovery", codes[0]).status_code == 401  # used up


def test_a_challenge_dies_after_five_wrong_codes(web, newcomer, settings):
    with client(web) as http:
        challenge = login(http, newcomer).json()["challenge"]
        http.post("/api/v1/auth/mfa/email", json={"challenge": challenge})
        for _ in range(5):
            assert mfa(http, challenge, "email", "000000").status_code == 401
        right = emailed_code(settings.home, newcomer.email)
        assert mfa(http, challenge, "email", right).status_code == 401


def test_no_session_without_the_second_factor(web, newcomer):
    with client(web) as http:
        login(http, newcomer)
        assert "atspark_session" not in http.cookies
        assert http.get("/api/v1/me").status_code == 401
        assert mfa(http, "made-up", "email", "123456").status_code == 401
