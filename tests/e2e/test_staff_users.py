"""`flask oms create-user` and `flask oms demo-users`, and which routes need a CSRF token."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import read_session
from core.signin import sign_in
from core.staff import StaffUser

PASSWORD = "correct horse battery"


def run(app, *args: str, input: str | None = None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def users() -> dict[str, tuple[str, str | None]]:
    with read_session() as session:
        return {u.username: (u.role, u.location_code)
                for u in session.scalars(select(StaffUser))}


def test_create_user_reads_the_password_from_stdin_and_can_sign_in(app, network):
    result = run(app, "oms", "create-user", "Ana.Store", "--role", "store",
                 "--location", "store-soho", input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "Created user ana.store: store at store-soho." in result.output
    assert PASSWORD not in result.output
    assert users() == {"ana.store": ("store", "store-soho")}
    assert sign_in("ana.store", PASSWORD, "127.0.0.1").principal is not None
    cs = run(app, "oms", "create-user", "carla", "--role", "cs", input=PASSWORD + "\n")
    admin = run(app, "oms", "create-user", "root.admin", "--role", "admin", input=PASSWORD + "\n")
    assert cs.exit_code == admin.exit_code == 0
    assert users()["carla"] == ("cs", None) and users()["root.admin"] == ("admin", None)


@pytest.mark.parametrize(("args", "says"), [
    (["bob", "--role", "root"], "'--role'"),
    (["bob", "--role", "store"], "needs the location"),
    (["bob", "--role", "store", "--location", "store-nowhere"], "unknown location"),
    (["bob", "--role", "store", "--location", "dc-east"], "not a store"),
    (["bob", "--role", "admin", "--location", "store-soho"], "has no location"),
    (["b o b", "--role", "cs"], "username"),
    (["ANA.STORE", "--role", "cs"], "'ana.store' is taken"),
])
def test_create_user_says_what_is_wrong_and_creates_nothing(app, network, args, says):
    assert run(app, "oms", "create-user", "ana.store", "--role", "cs",
               input=PASSWORD + "\n").exit_code == 0
    result = run(app, "oms", "create-user", *args, input=PASSWORD + "\n")
    assert result.exit_code == 2
    assert says in result.output
    assert list(users()) == ["ana.store"]


def test_create_user_refuses_a_weak_or_missing_password(app, network):
    short = run(app, "oms", "create-user", "bob", "--role", "cs", input="short\n")
    assert short.exit_code == 2 and "at least 10 characters" in short.output
    missing = run(app, "oms", "create-user", "bob", "--role", "cs", input="")
    assert missing.exit_code == 2 and "no password" in missing.output
    assert users() == {}


def test_demo_users_one_per_role_new_passwords_on_each_run(app, db):
    assert run(app, "oms", "demo").exit_code == 0
    first = run(app, "oms", "demo-users")
    second = run(app, "oms", "demo-users")
    assert first.exit_code == second.exit_code == 0
    assert users() == {"demo-store": ("store", "store-nyc-soho"), "demo-cs": ("cs", None),
                       "demo-admin": ("admin", None)}
    old = {line.split()[1]: line.split()[2] for line in first.output.splitlines()}
    new = {line.split()[1]: line.split()[2] for line in second.output.splitlines()}
    assert set(new) == {"demo-store", "demo-cs", "demo-admin"}
    for username, password in new.items():
        assert password != old[username]
        assert sign_in(username, password, "127.0.0.1").principal is not None
        assert sign_in(username, old[username], "127.0.0.1").principal is None


def test_only_the_staff_pages_take_cookies_so_only_they_need_a_csrf_token(app):
    """Every route that changes something is either a staff page (CSRF-checked) or
    authenticates each request itself under /api/v1 or /webhooks (exempt)."""
    csrf = app.extensions["csrf"]
    for rule in app.url_map.iter_rules():
        if not set(rule.methods or ()) & {"POST", "PUT", "PATCH", "DELETE"}:
            continue
        blueprint = app.blueprints.get(rule.endpoint.rpartition(".")[0])
        exempt = blueprint in csrf._exempt_blueprints  # what CSRFProtect.protect consults
        assert exempt == (not rule.endpoint.startswith("web.")), rule.rule
        if exempt:
            assert rule.rule.startswith(("/api/v1/", "/webhooks/")), rule.rule


def _token(client, path: str) -> str:
    import re

    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                     client.get(path).text).group(1)


def test_bad_input_on_the_pages_is_a_page_naming_the_field_never_a_500(app, network):
    from core.staff import create_staff_user

    create_staff_user("ana.store", "store", PASSWORD, "store-soho")
    client = app.test_client()
    empty = client.post("/sign-in", data={"csrf_token": _token(client, "/sign-in")})
    assert empty.status_code == 422 and "Enter your username." in empty.text
    nul = client.post("/sign-in", data={"csrf_token": _token(client, "/sign-in"),
                                        "username": "ana\x00", "password": PASSWORD})
    assert nul.status_code == 422 and "cannot be used" in nul.text
    signed_in = client.post("/sign-in", data={"csrf_token": _token(client, "/sign-in"),
                                              "username": "ana.store", "password": PASSWORD})
    assert signed_in.status_code == 302
    for query, status in [("?q=%00", 422), ("?q=" + "x" * 201, 422),
                          ("?q=JKT-1&location=%00", 403), ("?q=JKT-1", 200)]:
        answer = client.get("/stock" + query)
        assert answer.status_code == status, query
        assert answer.mimetype == "text/html"
    cs = create_staff_user("carla", "cs", PASSWORD)
    assert cs.role == "cs"
    client.post("/sign-out", data={"csrf_token": _token(client, "/stock")})
    client.post("/sign-in", data={"csrf_token": _token(client, "/sign-in"),
                                  "username": "carla", "password": PASSWORD})
    unknown = client.get("/stock?q=JKT-1&location=store-nowhere")
    assert unknown.status_code == 422 and "Not a valid choice" in unknown.text
