"""The platform the CLI works on, built once from the settings."""

from functools import lru_cache

from governance.platform import Platform
from governance.settings import get_settings


@lru_cache(maxsize=1)
def platform() -> Platform:
    return Platform(get_settings())
