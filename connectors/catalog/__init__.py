"""The built-in catalog: one declarative spec per YAML file in this folder.

Registered as one provider entry point (``catalog = "connectors.catalog:connectors"``): a plugin
package of specs registers the same way, pointing at its own folder with :func:`from_folder`.
"""

from pathlib import Path

from connectors.declarative.connector import DeclarativeConnector
from connectors.declarative.loading import load_folder

FOLDER = Path(__file__).resolve().parent


def from_folder(folder: Path) -> list[DeclarativeConnector]:
    """A connector for each spec in ``folder``."""
    return [DeclarativeConnector(spec) for spec in load_folder(folder)]


def connectors() -> list[DeclarativeConnector]:
    """Every connector of the built-in catalog."""
    return from_folder(FOLDER)
