"""The staff web pages: server-rendered Jinja templates on the same use cases and queries as
the API, signed in as staff users (see web/README.md for how to add a page).

`init_app` is called by the composition root (`oms.app.create_app`) with the blueprints that
authenticate otherwise (API keys, webhook signatures): those are exempt from CSRF; every other
POST, PUT, PATCH or DELETE in the app needs the form's token.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from flask import Blueprint, Flask, g, render_template, request
from flask import session as cookie_session
from flask.typing import ResponseReturnValue
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wrappers import Response

from core.db import is_transient, read_own_writes, reset_read_own_writes, timeout_cause
from core.errors import DomainError, Unauthorized
from core.http import TIMEOUT_RETRY_AFTER
from core.rate_limits import retry_after_seconds
from web import cs, ops, signin, stock, store  # noqa: F401  (their views register)
from web import session as staff_session
from web.pages import NAV, ROLE_LABELS, bp

log = logging.getLogger(__name__)
csrf = CSRFProtect()

# After a staff member's own change, their pages read from the primary for this long, so the
# page they are sent back to shows it even when the read replica is a moment behind.
READ_OWN_WRITES_SECONDS = 10

# Script, styles and forms only from this site; no framing (clickjacking).
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; object-src 'none'; "
                           "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def init_app(app: Flask, *, csrf_exempt: Iterable[Blueprint]) -> None:
    staff_session.configure(app)
    # Before CSRFProtect's own check, so that a refused form's page still shows who is in.
    app.before_request(load_user)
    # The token lives as long as the session: a tablet left on a form all shift still posts.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    csrf.init_app(app)
    for blueprint in csrf_exempt:
        csrf.exempt(blueprint)
    app.register_blueprint(bp)


def load_user() -> None:
    if request.blueprint == bp.name:
        staff_session.load_user()
        g.signed_in = g.get("staff") is not None  # a form post of theirs changes something
        if cookie_session.get("primary_until", 0) > time.time():
            g.own_writes = read_own_writes()


@bp.teardown_request
def forget_own_writes(_exc: BaseException | None) -> None:
    token = g.pop("own_writes", None)
    if token is not None:
        reset_read_own_writes(token)


@bp.after_request
def page_headers(response: Response) -> Response:
    if request.method == "POST" and response.status_code < 400 and g.get("signed_in"):
        cookie_session["primary_until"] = time.time() + READ_OWN_WRITES_SECONDS
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "web.static":
        # Pages show stock and names: not for shared caches or the back button after sign-out.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.app_template_filter("km")
def km(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.1f} km" if value < 100 else f"{value:,.0f} km"


@bp.context_processor
def layout() -> dict:
    principal = g.get("principal")
    nav = [entry for entry in NAV if principal is not None and entry.visible_to(principal)]
    return {"nav": nav, "staff": g.get("staff"), "role_labels": ROLE_LABELS}


@bp.errorhandler(CSRFError)
def csrf_refused(err: CSRFError) -> ResponseReturnValue:
    return error_page(400, "This form cannot be accepted",
                      "It was not sent from this site's own page, or the page is older than "
                      "your sign-in. Nothing was changed. Go back, reload the page and try "
                      "again.", detail=err.description)


@bp.errorhandler(DomainError)
def domain_error(err: DomainError) -> ResponseReturnValue:
    if isinstance(err, Unauthorized):
        return error_page(401, "Please sign in", "Your session has ended. Sign in again.")
    titles = {403: "Not allowed", 404: "Not found", 409: "Not possible now"}
    return error_page(err.status, titles.get(err.status, "Cannot do that"), err.message)


@bp.errorhandler(HTTPException)
def http_error(err: HTTPException) -> ResponseReturnValue:
    return error_page(err.code or 500, err.name, err.description or "")


# Registered for their status codes, so that they come before the app's JSON answers for the
# same codes (Flask looks for a handler of the code first, then of the exception's classes).
@bp.errorhandler(RateLimitExceeded)
def too_many_requests(err: RateLimitExceeded) -> ResponseReturnValue:
    seconds = retry_after_seconds()
    body, status = error_page(429, "Too many requests",
                              f"This address is over its rate limit ({err.description}). "
                              f"Nothing was changed. Try again in {seconds} s.")
    return body, status, {"Retry-After": str(seconds)}


@bp.errorhandler(RequestEntityTooLarge)
def too_large(err: RequestEntityTooLarge) -> ResponseReturnValue:
    return error_page(413, "Too much at once", "What was sent is larger than this page "
                                               "accepts. Nothing was changed.")


@bp.errorhandler(Exception)
def unexpected(err: Exception) -> ResponseReturnValue:
    if is_transient(err):
        return error_page(503, "Busy", "The system was busy; nothing was changed. "
                                       "Try again in a moment.")
    if timeout_cause(err) is not None:
        log.warning("database %s on %s %s", timeout_cause(err), request.method, request.path)
        body, status = error_page(503, "Busy", "The database did not answer in time. "
                                               "Try again in a moment.")
        return body, status, {"Retry-After": str(TIMEOUT_RETRY_AFTER)}
    log.exception("unhandled error on a web page")
    return error_page(500, "Something went wrong", "The error has been logged. Nothing more "
                                                   "can be said here; try again or ask support.")


def error_page(status: int, title: str, message: str, *,
               detail: str | None = None) -> tuple[str, int]:
    return render_template("web/error.html", status=status, title=title, message=message,
                           detail=detail), status
