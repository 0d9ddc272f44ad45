"""Every built-in connector held to the conformance kit: the declarative ones run against their
simulators, the Python ones (stripe, files) have their declaration checked."""

from connectors.conformance import Conformance, Declaration
from connectors.declarative.connector import DeclarativeConnector
from connectors.registry import load_connectors

CONNECTORS = load_connectors()
DECLARATIVE = sorted(n for n, c in CONNECTORS.items() if isinstance(c, DeclarativeConnector))


class TestPythonConnectors(Declaration):
    connectors = sorted(set(CONNECTORS) - set(DECLARATIVE))


class TestDeclarativeConnectors(Conformance):
    connectors = DECLARATIVE


def test_the_catalog_spans_the_categories_with_100_connectors_or_more():
    categories = {connector.info.category for connector in CONNECTORS.values()}
    assert len(CONNECTORS) >= 100
    assert {"billing", "crm", "accounting", "support", "marketing", "analytics", "hr"} <= categories
    assert {"ecommerce", "project_management", "engineering"} <= categories
