"""Dagster for atspark: the one ``Definitions`` (``assets.definitions.defs``), tenant connections
as dynamic partitions, one ingestion multi-asset per connector with its checks, the partitions
sensor and the per-connector schedules."""
