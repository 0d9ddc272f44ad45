"""The ``files`` connector: CSV, Parquet and JSON Lines files, local or on S3."""

from connectors.files.connector import FilesConnector

connector = FilesConnector()

__all__ = ["FilesConnector", "connector"]
