"""Connectors come from the ``atspark.connectors`` entry points, built-ins and plugins alike."""

import sys
import textwrap

import pytest

from connectors.registry import get_connector, load_connectors
from governance.errors import AtsparkError, NotFoundError

PLUGIN = """
from connectors.base import Connector, StreamSpec


class AcmeCrm(Connector):
    name = "{name}"

    def streams(self):
        return (StreamSpec("deals"),)

    def source(self, connection):
        raise NotImplementedError


connector = AcmeCrm()
"""


@pytest.fixture
def install_plugin(tmp_path, monkeypatch):
    """Install a third-party distribution the way pip would: a package and its dist-info."""

    def install(entry_name: str, connector_name: str) -> None:
        (tmp_path / "acme_plugin").mkdir()
        (tmp_path / "acme_plugin" / "__init__.py").write_text(PLUGIN.format(name=connector_name))
        dist_info = tmp_path / "acme_plugin-1.0.dist-info"
        dist_info.mkdir()
        (dist_info / "METADATA").write_text(
            "Metadata-Version: 2.1\nName: acme-plugin\nVersion: 1.0\n"
        )
        (dist_info / "entry_points.txt").write_text(
            textwrap.dedent(f"[atspark.connectors]\n{entry_name} = acme_plugin:connector\n")
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


def test_a_plugin_registering_under_another_name_is_refused(install_plugin):
    install_plugin("acme_crm", "stripe")
    with pytest.raises(AtsparkError, match="registers connector 'stripe'"):
        load_connectors()


def test_an_unknown_connector_names_the_known_ones():
    with pytest.raises(NotFoundError, match=r"known: .*stripe"):
        get_connector("nope")
