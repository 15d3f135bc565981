"""Signing in and out, and `GET /`."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import InputRequired, Length

from core import signin
from core.staff import MAX_PASSWORD
from web import session as staff_session
from web.pages import bp, home_url, local_path, signed_in_principal, storable

# The one answer to a wrong username, a wrong password, both, or an inactive user.
WRONG = "Wrong username or password."


class SignInForm(FlaskForm):
    username = StringField("Username", validators=[
        InputRequired("Enter your username."), Length(max=100), storable],
        render_kw={"autocomplete": "username", "autocapitalize": "none",
                   "spellcheck": "false"})
    password = PasswordField("Password", validators=[
        InputRequired("Enter your password."), Length(max=MAX_PASSWORD)],
        render_kw={"autocomplete": "current-password"})
    next = HiddenField()


@bp.get("/")
def index() -> Response:
    principal = signed_in_principal()
    if principal is None:
        return redirect(url_for("web.sign_in"))
    return redirect(home_url(principal))


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> ResponseReturnValue:
    principal = signed_in_principal()
    form = SignInForm()
    target = local_path(form.next.data if request.method == "POST" else request.args.get("next"))
    if principal is not None and request.method == "GET":
        return redirect(target or home_url(principal))
    if request.method == "GET":
        form.next.data = target or ""
        return render_template("web/sign_in.html", form=form)
    if not form.validate_on_submit():
        return render_template("web/sign_in.html", form=form), 422
    outcome = signin.sign_in(form.username.data or "", form.password.data or "",
                             request.remote_addr)
    if outcome.wait_seconds:
        return (render_template("web/sign_in.html", form=form,
                                wait_seconds=outcome.wait_seconds),
                429, {"Retry-After": str(outcome.wait_seconds)})
    if outcome.principal is None or outcome.user is None:
        return render_template("web/sign_in.html", form=form, error=WRONG)
    staff_session.start(outcome.user)
    return redirect(target or home_url(outcome.principal))


@bp.post("/sign-out")
def sign_out() -> Response:
    """A POST with the CSRF token (the form in the header): another site cannot sign you out."""
    staff_session.end()
    flash("You are signed out.")
    return redirect(url_for("web.sign_in"))
