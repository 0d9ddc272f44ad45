"""Connectors come from the ``atspark.connectors`` entry points, built-ins and plugins alike."""

import sys
import textwrap

import pytest

from connectors.registry import get_connector, load_connectors
from governance.errors import AtsparkError, NotFoundError

PLUGIN = """
from connectors.base import Connector, ConnectorInfo, StreamSpec
from connectors.config_schema import object_schema


class AcmeCrm(Connector):
    def __init__(self, name):
        super().__init__(
            ConnectorInfo(
                name=name,
                category="crm",
                auth="none",
                config_schema=object_schema({{}}),
                streams=(StreamSpec("deals"),),
            )
        )

    def source(self, connection):
        raise NotImplementedError


connector = AcmeCrm("{name}")


def many():
    return [AcmeCrm("{name}_leads"), AcmeCrm("{name}_deals")]


def nothing():
    return ["not a connector"]
"""


@pytest.fixture
def install_plugin(tmp_path, monkeypatch):
    """Install a third-party distribution the way pip would: a package and its dist-info."""

    def install(entry_name: str, connector_name: str, target: str = "connector") -> None:
        (tmp_path / "acme_plugin").mkdir()
        (tmp_path / "acme_plugin" / "__init__.py").write_text(PLUGIN.format(name=connector_name))
        dist_info = tmp_path / "acme_plugin-1.0.dist-info"
        dist_info.mkdir()
        (dist_info / "METADATA").write_text(
            "Metadata-Version: 2.1\nName: acme-plugin\nVersion: 1.0\n"
        )
        (dist_info / "entry_points.txt").write_text(
            textwrap.dedent(f"[atspark.connectors]\n{entry_name} = acme_plugin:{target}\n")
        )
        monkeypatch.syspath_prepend(str(tmp_path))
        monkeypatch.delitem(sys.modules, "acme_plugin", raising=False)
        load_connectors.cache_clear()

    yield install
    sys.modules.pop("acme_plugin", None)
    load_connectors.cache_clear()


def test_built_in_connectors_register_through_entry_points():
    load_connectors.cache_clear()
    assert {"stripe", "files"} <= set(load_connectors())


def test_a_third_party_plugin_is_found_beside_the_built_ins(install_plugin):
    install_plugin("acme_crm", "acme_crm")
    assert [s.name for s in get_connector("acme_crm").streams()] == ["deals"]
    assert {"stripe", "files", "acme_crm"} <= set(load_connectors())


def test_a_provider_registers_many_connectors_under_one_entry_point(install_plugin):
    install_plugin("acme_pack", "acme", target="many")
    assert {"acme_leads", "acme_deals"} <= set(load_connectors())
    assert get_connector("acme_deals").info.category == "crm"


def test_the_built_in_catalog_is_one_provider_of_many():
    load_connectors.cache_clear()
    assert len(load_connectors()) >= 100


def test_a_plugin_taking_a_built_in_name_is_refused(install_plugin):
    install_plugin("acme_crm", "stripe")
    with pytest.raises(AtsparkError, match="'stripe' is registered twice"):
        load_connectors()


def test_an_entry_point_providing_no_connector_is_refused(install_plugin):
    install_plugin("acme_crm", "acme", target="nothing")
    with pytest.raises(AtsparkError, match="provides no atspark Connector"):
        load_connectors()


def test_an_unknown_connector_points_to_the_list():
    with pytest.raises(NotFoundError, match=r"unknown connector 'nope'.*atspark connector list"):
        get_connector("nope")
