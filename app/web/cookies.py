"""The session cookie: HttpOnly, SameSite=Lax, and Secure unless served over plain HTTP to this
machine itself (local development)."""

from fastapi import Request, Response

SESSION = "atspark_session"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def set_session(request: Request, response: Response, token: str) -> None:
    local = request.url.scheme == "http" and request.url.hostname in LOOPBACK_HOSTS
    response.set_cookie(SESSION, token, httponly=True, samesite="lax", secure=not local, path="/")


def clear_session(response: Response) -> None:
    response.delete_cookie(SESSION, path="/", httponly=True, samesite="lax")
