"""Administration of a tenant's users, roles, groups, row policies and connections, each behind
its permission; every change is audited by the service it calls."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from app.web.deps import Acting, Require, callback_url
from app.web.problems import documented
from governance.identity import UserInfo
from governance.policies import PolicyInfo
from services import auth, connections, identity, oauth, policies
from services.auth import Caller

router = APIRouter(prefix="/admin", tags=["admin"], responses=documented(401, 403, 404, 409))
UserAdmin = Annotated[Caller, Require("users.manage")]
PolicyAdmin = Annotated[Caller, Require("policies.manage")]
ConnectionAdmin = Annotated[Caller, Require("connections.manage")]
Name = Annotated[str, Field(min_length=1, max_length=120)]


class NewUser(BaseModel):
    email: str = Field(max_length=320)
    roles: list[Name] = Field(min_length=1, max_length=50)
    groups: list[Name] = Field(default=[], max_length=200)
    attributes: dict[str, list[Annotated[str, Field(max_length=500)]]] = {}


class UserChange(BaseModel):
    roles: list[Name] | None = Field(default=None, max_length=50)
    groups: list[Name] | None = Field(default=None, max_length=200)
    attributes: dict[str, list[Annotated[str, Field(max_length=500)]]] | None = None


class Ended(BaseModel):
    sessions_ended: int


class NewRole(BaseModel):
    name: Name
    permissions: list[Name] = Field(max_length=50)


class Role(BaseModel):
    name: str
    builtin: bool
    permissions: list[str]


class NewGroup(BaseModel):
    name: Name


class Group(BaseModel):
    name: str


class NewPolicy(BaseModel):
    name: Name
    table: Name
    filter: str = Field(min_length=1, max_length=10_000)
    roles: list[Name] = Field(default=[], max_length=50)
    groups: list[Name] = Field(default=[], max_length=200)


ConfigValue = str | int | float | bool | list[str]
"""A connection's config value: text, a number, a boolean or a list of text, as its
connector's schema (``atspark connector show``) says."""


class NewConnection(BaseModel):
    connector: Name
    name: Name | None = None
    config: dict[str, ConfigValue] = {}
    secrets: dict[str, str] = Field(default={}, description="write-only: never shown again")


class Connection(BaseModel):
    name: str
    connector: str
    config: dict[str, ConfigValue]
    secrets: dict[str, str] = Field(description="secret names, values masked")
    status: str = Field(description="active, or needs_reauthorization")
    authorized_at: datetime | None = Field(description="when last authorized at the vendor")


class NewAuthorization(BaseModel):
    """A connection to authorize at its vendor (OAuth 2.0): the app registered there."""

    connector: Name
    name: Name | None = None
    config: dict[str, ConfigValue] = {}
    client_id: str = Field(min_length=1, max_length=500)
    client_secret: str = Field(
        min_length=1, max_length=500, description="write-only: never shown again"
    )


class Authorization(BaseModel):
    connection: str
    authorize_url: str = Field(description="where to send the person's browser")
    expires_at: datetime = Field(description="the flow must finish before this moment")


# Users -----------------------------------------------------------------------------------------


@router.get("/users")
def list_users(ctx: Acting, caller: UserAdmin) -> list[UserInfo]:
    return identity.list_users(ctx, caller.tenant)


@router.post("/users", status_code=201)
def add_user(body: NewUser, ctx: Acting, caller: UserAdmin) -> UserInfo:
    return identity.add_user(
        ctx, caller.tenant, body.email, body.roles, body.groups, body.attributes
    )


@router.get("/users/{user_id}")
def get_user(user_id: str, ctx: Acting, caller: UserAdmin) -> UserInfo:
    return identity.get_user(ctx, caller.tenant, user_id)


@router.patch("/users/{user_id}")
def change_user(user_id: str, body: UserChange, ctx: Acting, caller: UserAdmin) -> UserInfo:
    email = identity.get_user(ctx, caller.tenant, user_id).email
    return identity.set_user(ctx, caller.tenant, email, body.roles, body.groups, body.attributes)


@router.delete("/users/{user_id}", status_code=204)
def remove_user(user_id: str, ctx: Acting, caller: UserAdmin) -> None:
    identity.remove_user(ctx, caller.tenant, identity.get_user(ctx, caller.tenant, user_id).email)


@router.post("/users/{user_id}/logout-everywhere")
def logout_user_everywhere(user_id: str, ctx: Acting, caller: UserAdmin) -> Ended:
    """End every session of one of the tenant's users (one-click log out everywhere)."""
    return Ended(sessions_ended=auth.sign_out_everywhere(ctx, caller.tenant, user_id))


# Roles and groups ------------------------------------------------------------------------------


@router.get("/roles")
def list_roles(ctx: Acting, caller: UserAdmin) -> list[Role]:
    return [Role(**role) for role in identity.list_roles(ctx, caller.tenant)]


@router.post("/roles", status_code=201)
def add_role(body: NewRole, ctx: Acting, caller: UserAdmin) -> Role:
    identity.add_role(ctx, caller.tenant, body.name, body.permissions)
    return Role(name=body.name, builtin=False, permissions=sorted(set(body.permissions)))


@router.get("/groups")
def list_groups(ctx: Acting, caller: UserAdmin) -> list[Group]:
    return [Group(name=name) for name in identity.list_groups(ctx, caller.tenant)]


@router.post("/groups", status_code=201)
def add_group(body: NewGroup, ctx: Acting, caller: UserAdmin) -> Group:
    identity.add_group(ctx, caller.tenant, body.name)
    return Group(name=body.name)


# Row policies ----------------------------------------------------------------------------------


@router.get("/policies")
def list_policies(ctx: Acting, caller: PolicyAdmin) -> list[PolicyInfo]:
    return policies.list_policies(ctx, caller.tenant)


@router.post("/policies", status_code=201)
def add_policy(body: NewPolicy, ctx: Acting, caller: PolicyAdmin) -> PolicyInfo:
    return policies.add_policy(
        ctx, caller.tenant, body.name, body.table, body.filter, body.roles, body.groups
    )


@router.delete("/policies/{name}", status_code=204)
def remove_policy(name: str, ctx: Acting, caller: PolicyAdmin) -> None:
    policies.remove_policy(ctx, caller.tenant, name)


# Connections -----------------------------------------------------------------------------------


def _shown(info) -> Connection:
    return Connection(
        name=info.name,
        connector=info.connector,
        config=info.config,
        secrets={key: "********" for key in info.secret_keys},
        status=info.status,
        authorized_at=info.authorized_at,
    )


@router.get("/connections")
def list_connections(ctx: Acting, caller: ConnectionAdmin) -> list[Connection]:
    return [_shown(info) for info in connections.list_connections(ctx, caller.tenant)]


@router.post("/connections", status_code=201)
def add_connection(body: NewConnection, ctx: Acting, caller: ConnectionAdmin) -> Connection:
    added = connections.add_connection(
        ctx, caller.tenant, body.connector, body.config, body.secrets, body.name
    )
    return _shown(added)


@router.post("/connections/authorize", status_code=201)
def authorize_connection(
    body: NewAuthorization, request: Request, ctx: Acting, caller: ConnectionAdmin
) -> Authorization:
    """Start connecting by OAuth: send the browser to ``authorize_url``; the vendor sends it
    back to ``/oauth/callback``, which stores the connection."""
    started = oauth.start_authorization(
        ctx, caller.tenant, body.connector, body.config, body.client_id, body.client_secret,
        callback_url(request), body.name,
    )  # fmt: skip
    return Authorization(**vars(started))


@router.post("/connections/{name}/reauthorize", status_code=201)
def reauthorize_connection(
    name: str, request: Request, ctx: Acting, caller: ConnectionAdmin
) -> Authorization:
    """Authorize an existing connection again, with the app credentials it holds."""
    started = oauth.start_reauthorization(ctx, caller.tenant, name, callback_url(request))
    return Authorization(**vars(started))


@router.post("/connections/{name}/disconnect", status_code=204)
def disconnect_connection(name: str, ctx: Acting, caller: ConnectionAdmin) -> None:
    """Revoke the connection's tokens at its vendor and remove it (its tables stay)."""
    oauth.disconnect(ctx, caller.tenant, name)


@router.get("/connections/{name}")
def get_connection(name: str, ctx: Acting, caller: ConnectionAdmin) -> Connection:
    return _shown(connections.get_connection(ctx, caller.tenant, name))


@router.delete("/connections/{name}", status_code=204)
def remove_connection(name: str, ctx: Acting, caller: ConnectionAdmin) -> None:
    connections.remove_connection(ctx, caller.tenant, name)
