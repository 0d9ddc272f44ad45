"""Permissions and the built-in roles that bundle them."""

PERMISSIONS = {
    "assist.use": "ask AI Assist questions",
    "audit.read": "read the tenant's audit log",
    "connections.manage": "add, change and remove connections",
    "data.export": "export query results",
    "data.read": "run governed queries, dashboards and reports",
    "policies.manage": "manage row-level policies",
    "users.manage": "manage users, groups and roles",
}

BUILTIN_ROLES: dict[str, tuple[str, ...]] = {
    "owner": tuple(PERMISSIONS),
    "admin": tuple(PERMISSIONS),
    "member": ("assist.use", "data.export", "data.read"),
    "viewer": ("data.read",),
}

UNRESTRICTED_ROLES = frozenset({"owner", "admin"})
"""Roles that read every row of their own tenant; every other role reads through policies."""
