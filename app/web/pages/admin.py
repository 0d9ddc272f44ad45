"""Administration pages: users, roles, groups and row policies, each behind the permission its
API needs (the forms post to ``/api/v1/admin``)."""

from typing import Annotated

from fastapi import Request
from fastapi.responses import HTMLResponse

from app.web.deps import Acting, Require
from app.web.pages.render import page_router, render
from governance.permissions import PERMISSIONS
from services import identity, policies, queries
from services.auth import Caller
from services.context import ServiceContext

router = page_router(prefix="/admin")
UserAdmin = Annotated[Caller, Require("users.manage")]
PolicyAdmin = Annotated[Caller, Require("policies.manage")]


def _roles_and_groups(ctx: ServiceContext, tenant: str) -> dict:
    roles = [role["name"] for role in identity.list_roles(ctx, tenant)]
    return {"role_names": roles, "group_names": identity.list_groups(ctx, tenant)}


@router.get("/users")
def users(request: Request, ctx: Acting, caller: UserAdmin) -> HTMLResponse:
    return render(
        request,
        "users.html",
        "Users",
        users=identity.list_users(ctx, caller.tenant),
        **_roles_and_groups(ctx, caller.tenant),
    )


@router.get("/roles")
def roles(request: Request, ctx: Acting, caller: UserAdmin) -> HTMLResponse:
    shown = identity.list_roles(ctx, caller.tenant)
    return render(request, "roles.html", "Roles", roles=shown, permissions=PERMISSIONS)


@router.get("/groups")
def groups(request: Request, ctx: Acting, caller: UserAdmin) -> HTMLResponse:
    return render(request, "groups.html", "Groups", groups=identity.list_groups(ctx, caller.tenant))


@router.get("/policies")
def row_policies(request: Request, ctx: Acting, caller: PolicyAdmin) -> HTMLResponse:
    # Without these permissions, roles and groups are typed and tables come unsuggested.
    held = caller.permissions
    grantees = _roles_and_groups(ctx, caller.tenant) if "users.manage" in held else {}
    tables = queries.readable_tables(ctx, caller.tenant) if "data.read" in held else {}
    return render(
        request,
        "policies.html",
        "Row policies",
        policies=policies.list_policies(ctx, caller.tenant),
        tables=sorted(tables),
        **grantees,
    )
