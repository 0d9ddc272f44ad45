"""The README's walkthrough, run as written: every ``sh`` block of its "Using it" section, in
order, in a scratch directory, each command in its own shell as a reader would type it."""

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
VENV_BIN = str(Path(sys.executable).parent)


def walkthrough() -> list[str]:
    """The commands of the "Using it" blocks, continued lines joined, comments dropped."""
    section = README.read_text().split("\n## Using it\n", 1)[1].split("\n## ", 1)[0]
    commands = []
    for block in re.findall(r"^```sh\n(.*?)^```", section, re.MULTILINE | re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            command = re.sub(r"\s+#\s.*$", "", line).strip()
            if command:
                commands.append(command)
    return commands


class Reader:
    """Runs the walkthrough's commands in a scratch directory with the ``atspark`` command on
    the PATH and no ``ATSPARK_*`` setting, as on a fresh clone; keeps what each printed."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("ATSPARK_")}
        self.env["PATH"] = f"{VENV_BIN}{os.pathsep}{self.env['PATH']}"
        self.background: list[subprocess.Popen] = []
        self.printed: dict[str, str] = {}

    def run(self, command: str) -> None:
        if command.endswith("&"):
            self.background.append(
                subprocess.Popen(
                    ["bash", "-c", command[:-1]],
                    cwd=self.directory,
                    env=self.env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
            return
        if job := re.fullmatch(r"kill %(\d+)", command):
            self.stop(self.background[int(job.group(1)) - 1])
            return
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=self.directory,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        self.printed[command] = done.stdout + done.stderr

    def output(self, start: str) -> str:
        """What the one command starting with ``start`` printed."""
        [found] = [text for command, text in self.printed.items() if command.startswith(start)]
        return found

    @staticmethod
    def stop(process: subprocess.Popen) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(20)


@pytest.fixture
def reader(tmp_path):
    reader = Reader(tmp_path)
    yield reader
    for process in reader.background:
        reader.stop(process)


def test_the_walkthrough_runs_as_written_and_prints_what_it_says(reader, tmp_path):
    commands = walkthrough()
    assert len(commands) >= 15 and commands[0].startswith("atspark tenant create")
    for command in commands:
        reader.run(command)

    printed = reader.printed
    assert "created tenant initech" in printed[commands[0]]
    listed = printed["atspark connection list initech"]
    assert "stripe" in listed and "sk_test_sandbox" not in listed
    assert re.search(r"initech/stripe: \d+ rows into 11 tables", printed["atspark ingest initech"])
    assert "initech/crm: 3 rows into 1 tables" in printed["atspark ingest initech crm"]
    assert "support" in reader.output("atspark connector list --category support")
    assert "writeOnly" not in reader.output("atspark connector show pagerduty")
    assert re.search(
        r"initech/pagerduty: \d+ rows into 6 tables", printed["atspark ingest initech pagerduty"]
    )
    assert re.search(
        r"initech/hubspot: \d+ rows into 7 tables", printed["atspark ingest initech hubspot"]
    )
    [by_region] = [
        out for command, out in printed.items() if "--format json" in command and "sql" in command
    ]
    assert json.loads(by_region) == {
        "columns": ["region", "amount"],
        "rows": [["emea", 100], ["us", 250]],
        "row_count": 2,
    }
    exported = (tmp_path / "emea-deals.csv").read_text().splitlines()
    assert exported == ["id,owner,region,amount", "1,ana@initech.io,emea,100"]
    actions = [
        event["action"] for event in json.loads(printed["atspark audit list initech --format json"])
    ]
    assert {"tenant.create", "connection.add", "ingest", "query", "query.export"} <= set(actions)
    assert "intact" in printed["atspark audit verify initech"]
    exported_events = (tmp_path / "initech-audit.jsonl").read_text().splitlines()
    assert len(exported_events) == len(actions) + 3  # the two lists and the verify: audited too
    assert reader.output("atspark token create").startswith("atspark_")
    assert "deleted" in printed["atspark tenant delete initech --yes"]
    assert not (tmp_path / ".atspark" / "uploads" / "initech").exists()
    assert all(job.poll() is not None for job in reader.background), "kill stopped the simulators"
