"""Read declarative specs from YAML: one file, or every ``*.yaml`` of a folder."""

from pathlib import Path

import yaml
from pydantic import ValidationError

from connectors.declarative.spec import ConnectorSpec
from governance.errors import AtsparkError

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_spec(path: Path) -> ConnectorSpec:
    """The spec in ``path``, or an error naming the file and every field that is wrong."""
    try:
        document = yaml.load(path.read_bytes(), Loader=_LOADER)
    except yaml.YAMLError as error:
        raise AtsparkError(f"{path.name}: not valid YAML: {error}") from None
    try:
        spec = ConnectorSpec.model_validate(document)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or '(top)'}: {problem['msg']}"
            for problem in error.errors(include_url=False)
        )
        raise AtsparkError(f"{path.name}: {problems}") from None
    if path.stem != spec.name:
        raise AtsparkError(
            f"{path.name}: names connector {spec.name!r}; call the file {spec.name}.yaml"
        )
    return spec


def load_folder(folder: Path) -> list[ConnectorSpec]:
    """Every spec in ``folder``, sorted by name."""
    return [load_spec(path) for path in sorted(folder.glob("*.yaml"))]
