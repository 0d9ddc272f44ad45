"""Exports: a result written whole to a file of the user's, never into atspark's own state."""

import json
import stat

import pytest

from governance.errors import AtsparkError
from services import audit, identity
from services.exports import Export, ExportFormat
from services.queries import export_query
from tests.fixtures.platform import acting_as

SQL = "SELECT id, region FROM deals WHERE id < 3 ORDER BY id"


@pytest.fixture
def boss(acme):
    identity.add_user(acme, "acme", "boss@acme.io", ["owner"])
    return acting_as(acme, "boss@acme.io")


def exports_audited(operator) -> list[tuple[str, str]]:
    return [
        (event.outcome, event.context.get("destination"))
        for event in audit.list_events(operator, "acme")
        if event.action == "query.export"
    ]


def test_an_export_is_written_whole_and_owner_only_and_audited_with_its_destination(
    acme, boss, tmp_path
):
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "deals.json"
    target.write_text("an older export")
    result = export_query(boss, "acme", SQL, Export(target, ExportFormat.json))
    assert result.row_count == 2
    assert json.loads(target.read_text())["rows"] == [[1, "emea"], [2, "emea"]]
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["deals.json"]  # no draft left behind
    assert exports_audited(acme) == [("ok", str(target))]


def test_atspark_s_own_state_is_never_an_export_destination(acme, boss, tmp_path):
    home = acme.platform.settings.home
    keyring = home / "keyring.json"
    before = keyring.read_bytes()
    link = tmp_path / "innocent.csv"
    link.symlink_to(keyring)
    for destination in [keyring, home / "control.db", home / "new.csv", link, home]:
        with pytest.raises(AtsparkError, match="inside atspark's home"):
            export_query(boss, "acme", SQL, Export(destination))
    assert keyring.read_bytes() == before
    assert {outcome for outcome, _ in exports_audited(acme)} == {"failed"}


@pytest.mark.parametrize(
    ("destination", "message"),
    [
        ("missing/deals.csv", "no folder"),
        (".", "it is a folder"),
        ("/dev/null", "not a regular file"),
        ("x" * 300 + ".csv", "File name too long"),
    ],
)
def test_a_destination_that_cannot_take_the_file_is_one_clear_error(
    acme, boss, tmp_path, destination, message
):
    with pytest.raises(AtsparkError, match=message):
        export_query(boss, "acme", SQL, Export(tmp_path / destination))
    assert exports_audited(acme) == [("failed", str(tmp_path / destination))]
