"""Tenant warehouses: one encrypted DuckDB database per tenant, published as snapshots."""
