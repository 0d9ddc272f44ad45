"""The tenant the attacks aim at: ``acme`` with an admin and a viewer, both with TOTP."""

import pytest

from tests.fixtures.platform import tenant_with_deals
from tests.fixtures.web import person


@pytest.fixture
def acme(operator, settings):
    tenant_with_deals(operator)
    return {
        "admin": person(operator, "acme", "admin@acme.io", ["admin"]),
        "viewer": person(operator, "acme", "viewer@acme.io", ["viewer"]),
        "home": settings.home,
    }
