"""The service layer: the one path every caller takes (the CLI, Dagster, ``make run``, the serving
app and tests).

Each operation is a function taking a ``ServiceContext`` (the platform and who acts, with the
request's IP and id when there is one). Inside it: one unit of work per control-plane step (one
session, one transaction; ``operations.Operation.unit``), the tenant resolved once, the input
validated, the principal's permission checked (fail closed: ``PermissionDenied``), and the
operation written to the tenant's audit trail, whatever its outcome. Callers parse input, call a
service and print; they check nothing themselves, so no caller can skip a check.

Modules: ``context`` (principals), ``operations`` (units of work and audit), then one module per
domain: ``tenants``, ``connections``, ``identity``, ``policies``, ``queries``, ``ingestion``,
``audit``.
"""
