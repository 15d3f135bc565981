"""The web pages' blueprint and the two decorators every page uses.

    @page("/stock", roles=("store", "cs"), nav="Stock lookup")   # a GET page, in the nav
    def stock(): ...

    @action("/pickups/<int:fulfillment_id>/ready", roles=("store",))   # a POST form target
    def mark_ready(fulfillment_id): ...

Both refuse a signed-out visitor (a page sends them to sign-in and back; an action answers
401) and a role outside `roles` (403; admin is always allowed, as in the API). Inside, the
signed-in user is `core.auth.current_principal()`, the same `Principal` an API key would be:
check a location with `core.auth.require_location(code)` and call the same use cases the API
calls. Location rules are never written here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, g, redirect, request, url_for

from core.auth import Principal
from core.errors import Forbidden, Unauthorized
from core.http import find_unstorable

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/web-static")

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class NavEntry:
    endpoint: str
    label: str
    roles: frozenset[str]

    def visible_to(self, principal: Principal) -> bool:
        return principal.role == "admin" or principal.role in self.roles


NAV: list[NavEntry] = []
ROLE_LABELS = {"store": "Store staff", "cs": "Customer service", "admin": "Admin"}
# Where each role lands after signing in (and on `GET /`): the endpoint of its main page.
HOME: dict[str, str] = {"store": "web.stock", "cs": "web.stock", "admin": "web.stock"}


def signed_in_principal() -> Principal | None:
    """Set for every request to a web page by `web.session.load_user`."""
    return g.get("principal")


def _guard(roles: tuple[str, ...], *, redirect_to_sign_in: bool) -> Callable[[F], F]:
    allowed = {"admin", *roles}

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = signed_in_principal()
            if principal is None:
                if redirect_to_sign_in:
                    return redirect(url_for("web.sign_in", next=request.full_path.rstrip("?")))
                raise Unauthorized("sign in first")
            if principal.role not in allowed:
                raise Forbidden(f"this page is for {', '.join(sorted(allowed))} users; "
                                f"you are signed in as {principal.role}")
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def page(rule: str, *, roles: tuple[str, ...], nav: str | None = None) -> Callable[[F], F]:
    """A GET page for `roles` (and admin); `nav` puts it in the navigation bar."""

    def decorate(view: F) -> F:
        guarded = _guard(roles, redirect_to_sign_in=True)(view)
        bp.add_url_rule(rule, view.__name__, guarded, methods=["GET"])
        if nav:
            NAV.append(NavEntry(f"web.{view.__name__}", nav, frozenset(roles)))
        return guarded

    return decorate


def action(rule: str, *, roles: tuple[str, ...]) -> Callable[[F], F]:
    """A POST form target for `roles` (and admin): CSRF-checked like every POST (see
    `web.init_app`); it should redirect to a page when done (POST, redirect, GET)."""

    def decorate(view: F) -> F:
        guarded = _guard(roles, redirect_to_sign_in=False)(view)
        bp.add_url_rule(rule, view.__name__, guarded, methods=["POST"])
        return guarded

    return decorate


def home_url(principal: Principal) -> str:
    return url_for(HOME.get(principal.role, "web.stock"))


def local_path(target: str | None) -> str | None:
    """`target` if it is a path on this site ("/stock?q=1"), else None: a `next` parameter
    must never send a user to another site ("//evil", "https://evil", "/\\evil")."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def storable(_form: Any, field: Any) -> None:
    """A WTForms validator for every text field that reaches a query: text no database can
    store (a NUL character, which PostgreSQL refuses, or a lone surrogate) is the field's
    error, not a 500."""
    from wtforms.validators import ValidationError

    if isinstance(field.data, str) and find_unstorable(field.data) is not None:
        raise ValidationError("contains characters that cannot be used")
