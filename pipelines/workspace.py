"""Scratch directories for dlt's load packages, which hold customer data in plaintext.

Each run gets its own directory, deleted when the run ends; a directory left by a process that
died is swept by the next run. Pipeline state survives in the warehouse itself (dlt restores it
from the destination), so nothing here needs to outlive a run.
"""

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def run_workspace(runs_dir: Path) -> Iterator[Path]:
    """A private directory for one run, removed afterwards whatever happens."""
    runs_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    sweep_abandoned(runs_dir)
    workspace = runs_dir / f"{os.getpid()}-{uuid.uuid4().hex}"
    workspace.mkdir(mode=0o700)
    try:
        yield workspace
    finally:
        shutil.rmtree(workspace, ignore_errors=True)


def sweep_abandoned(runs_dir: Path) -> list[Path]:
    """Delete workspaces whose process no longer runs."""
    removed = []
    for workspace in runs_dir.iterdir():
        pid = workspace.name.split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(workspace, ignore_errors=True)
            removed.append(workspace)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
