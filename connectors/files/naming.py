"""Stream names derived from file names."""

from dlt.common.normalizers.naming.snake_case import NamingConvention

from connectors.files.formats import extension_of

_SNAKE_CASE = NamingConvention()


def stem_of(file_name: str) -> str:
    """A file name without its last extension: ``orders.csv`` -> ``orders``."""
    extension = extension_of(file_name)
    return file_name[: -len(extension)] if extension else file_name


def identifier(name: str) -> str:
    """A name as dlt will spell it in the warehouse (``Order ID`` -> ``order_id``)."""
    return _SNAKE_CASE.normalize_identifier(name)


def stream_name(file_name: str) -> str:
    """The stream a file loads into: its stem as a lower-case snake_case identifier.

    It uses dlt's own snake_case convention, so dlt keeps the name as it is.
    """
    return identifier(stem_of(file_name))
