"""``atspark connector new NAME``: a connector plugin package that passes the conformance kit as
generated: a declarative spec to edit, its provider entry point, a README and the kit's tests."""

import re
from pathlib import Path
from string import Template

from connectors.declarative.spec import NAME
from connectors.registry import load_connectors
from governance.errors import AtsparkError, ConflictError

TEMPLATES = Path(__file__).resolve().parent / "scaffold_template"
FILES = {
    "pyproject.toml": "pyproject.toml",
    "README.md": "README.md",
    "package/__init__.py": "{package}/__init__.py",
    "package/specs/connector.yaml": "{package}/specs/{name}.yaml",
    "conftest.py": "conftest.py",
    "tests/test_conformance.py": "tests/test_conformance.py",
}


def scaffold(name: str, directory: Path) -> Path:
    """Create the plugin package of connector ``name`` in ``directory``; its path."""
    if not re.fullmatch(NAME, name):
        raise AtsparkError(
            f"connector name {name!r} must be lower-case letters, digits and underscores, "
            "starting with a letter"
        )
    if name in load_connectors():
        raise ConflictError(f"a connector {name!r} exists already: choose another name")
    root = directory / f"atspark-connector-{name.replace('_', '-')}"
    if root.exists():
        raise ConflictError(f"{root} exists already")
    values = {"name": name, "package": f"atspark_{name}", "title": name.replace("_", " ").title()}
    for template, target in FILES.items():
        path = root / target.format(**values)
        path.parent.mkdir(parents=True, exist_ok=True)
        source = TEMPLATES / f"{template}.tmpl"
        text = Template(source.read_text(encoding="utf-8")).substitute(values)
        path.write_text(text, encoding="utf-8")
    return root
