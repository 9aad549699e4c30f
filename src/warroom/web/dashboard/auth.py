"""Who is looking: OpenID Connect (authlib, authorization code flow), a header from a trusted
auth proxy, or nobody signed in on 127.0.0.1 only.

The session lives in a signed, HttpOnly, SameSite=Lax cookie (starlette's SessionMiddleware,
itsdangerous underneath): who, their role, when the sign-in ends, and the CSRF token every form
sends back."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import secrets
import warnings
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Request

from warroom.config.web import AuthSettings

log = logging.getLogger("warroom.web.dashboard")
RESPONDER = "responder"
VIEWER = "viewer"
LOCAL = "local"  # nobody signed in, on 127.0.0.1: reads and acts, sees no phone numbers


@dataclass(frozen=True)
class Viewer:
    handle: str
    name: str
    role: str
    csrf: str
    signed_in: bool

    @property
    def may_act(self) -> bool:
        return self.role in (RESPONDER, LOCAL)

    @property
    def sees_phones(self) -> bool:
        return self.role == RESPONDER and self.signed_in


class SignIn(Exception):
    """Send the browser to the sign-in page (and back to `next` afterwards)."""

    def __init__(self, next_url: str, *, expired: bool = False) -> None:
        super().__init__(next_url)
        self.next_url = next_url
        self.expired = expired


class Refusal(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def is_loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _from_proxy(request: Request, auth: AuthSettings) -> bool:
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(n, strict=False) for n in auth.trusted_proxies)


def role_for(auth: AuthSettings, identities: set[str]) -> str | None:
    """responder, viewer, or None (not allowed). Matching ignores case."""
    names = {i.lower() for i in identities if i}
    if "*" in auth.responders or names & {r.lower() for r in auth.responders}:
        return RESPONDER
    if "*" in auth.viewers or names & {v.lower() for v in auth.viewers}:
        return VIEWER
    return None


def identities(claims: dict[str, Any], auth: AuthSettings) -> set[str]:
    found = {str(claims.get(k, "")) for k in ("sub", "email", "preferred_username")}
    found.add(str(claims.get(auth.handle_claim, "")))
    if auth.role_claim:
        roles = claims.get(auth.role_claim)
        if isinstance(roles, str):
            found.add(roles)
        elif isinstance(roles, list):
            found.update(str(r) for r in roles)
    return found - {""}


def handle_of(claims: dict[str, Any], auth: AuthSettings) -> str:
    handle = str(claims.get(auth.handle_claim) or claims.get("email") or claims.get("sub") or "")
    return handle.split("@")[0] if "@" in handle else handle


def start_session(
    request: Request, auth: AuthSettings, *, handle: str, name: str, role: str, now: datetime
) -> None:
    request.session.clear()
    request.session.update(
        {
            "handle": handle,
            "name": name,
            "role": role,
            "csrf": secrets.token_urlsafe(24),
            "exp": int(now.timestamp() + auth.session_minutes * 60),
        }
    )


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return str(token)


def current(request: Request, auth: AuthSettings, now: datetime) -> Viewer:
    """Who is looking, or SignIn / Refusal; a session ends at its `exp` by the app's clock."""
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if not auth.signs_in:
        if not is_loopback(request):
            raise Refusal(
                403,
                "No sign-in is configured: the dashboard answers only on "
                "127.0.0.1. Configure web.auth (docs/dashboard.md).",
            )
        return Viewer("dashboard", "", LOCAL, csrf_token(request), signed_in=False)
    if auth.trusted_header and not auth.oidc:
        value = request.headers.get(auth.trusted_header, "").strip()
        if not value or not _from_proxy(request, auth):
            raise Refusal(401, f"Sign in through the auth proxy (it sets {auth.trusted_header}).")
        role = role_for(auth, {value, value.split("@")[0]})
        if role is None:
            raise Refusal(
                403,
                f"{value} may not use this dashboard: ask to be added to "
                "web.auth.viewers or web.auth.responders.",
            )
        return Viewer(value.split("@")[0], value, role, csrf_token(request), signed_in=True)
    session = request.session
    if not session.get("handle"):
        raise SignIn(path)
    if int(session.get("exp", 0)) < now.timestamp():
        session.clear()
        raise SignIn(path, expired=True)
    return Viewer(
        session["handle"],
        session.get("name", ""),
        session["role"],
        csrf_token(request),
        signed_in=True,
    )


def check_csrf(request: Request, sent: str) -> None:
    expected = str(request.session.get("csrf", ""))
    if not expected or not hmac.compare_digest(expected, sent):
        raise Refusal(403, "This form is stale or came from another site; reload and try again.")


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def oauth_client(auth: AuthSettings, client_secret: str | None) -> Any:
    """authlib's Starlette client for the configured issuer (discovery document, JWKS)."""
    # authlib 1.9 warns at import that the `httpx2` fork is missing (httpx works), after
    # setting its warnings to "always" globally; both stay inside this block.
    with warnings.catch_warnings():
        import authlib.deprecate  # noqa: F401 - its filter first, then ours before it

        warnings.filterwarnings("ignore", "The httpx module is deprecated", DeprecationWarning)
        from authlib.integrations.starlette_client import OAuth

    oauth = OAuth()
    issuer = (auth.oidc_issuer or "").rstrip("/")
    discovery = (
        issuer
        if issuer.endswith("openid-configuration")
        else (f"{issuer}/.well-known/openid-configuration")
    )
    oauth.register(
        "oidc",
        client_id=auth.oidc_client_id,
        client_secret=client_secret,
        server_metadata_url=discovery,
        client_kwargs={"scope": auth.oidc_scopes},
    )
    return oauth.create_client("oidc")
