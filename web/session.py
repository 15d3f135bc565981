"""The signed-in user in Flask's signed session cookie, and the cookie's flags.

The cookie holds only the user's id and a fingerprint of their password hash, role and store
(`core.staff.session_fingerprint`): every request re-reads the user, so a deactivated user, a
new password or a changed role or store ends older sessions at once.
"""

from __future__ import annotations

import datetime as dt

from flask import Flask, g, request, session
from flask.sessions import SecureCookieSessionInterface

from core.auth import Principal
from core.errors import DomainError
from core.staff import StaffUser, active_user, principal_of, session_fingerprint
from inventory import queries as inventory_queries

SESSION_KEY = "staff"
# A shift and then some: a tablet signed in at opening stays signed in until closing.
SESSION_LIFETIME = dt.timedelta(hours=12)


class StaffSessionInterface(SecureCookieSessionInterface):
    """`Secure` cookies when asked (`OMS_SECURE_COOKIES=1`), or in the default "auto" mode
    when the request itself came over HTTPS (behind a TLS proxy: set OMS_TRUSTED_PROXIES so
    that X-Forwarded-Proto is believed)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        mode = app.config["OMS_SETTINGS"].secure_cookies
        if mode == "auto":
            return request.is_secure
        return mode in {"1", "true", "yes", "on"}


def configure(app: Flask) -> None:
    app.session_interface = StaffSessionInterface()
    app.config.update(
        SESSION_COOKIE_NAME="oms_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
    )


def start(user: StaffUser) -> None:
    """A fresh session for `user` (nothing of the signed-out one carries over, the CSRF token
    included, so a token planted before sign-in is worthless)."""
    session.clear()
    session.permanent = True
    session[SESSION_KEY] = {"id": user.id, "fp": session_fingerprint(user)}


def end() -> None:
    session.clear()


def load_user() -> None:
    """Before every web request: `g.principal` (what core.auth.current_principal returns) and
    `g.staff` (for the header) when a valid session is there."""
    g.principal = None
    g.staff = None
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict) or not isinstance(data.get("id"), int):
        return
    user = active_user(data["id"])
    if user is None or data.get("fp") != session_fingerprint(user):
        session.pop(SESSION_KEY, None)
        return
    principal: Principal = principal_of(user)
    g.principal = principal
    g.staff = {"username": user.username, "role": user.role,
               "location": user.location_code,
               "location_name": location_name(user.location_code)}


def location_name(code: str | None) -> str | None:
    if code is None:
        return None
    try:
        return inventory_queries.get_location(code)["name"]
    except DomainError:  # a code whose location is gone: show the code
        return code
