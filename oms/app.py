"""The composition root: configuration, database, jobs, blueprints, CLI, error handlers.
The one module that imports every package, integrations included."""

from __future__ import annotations

from pathlib import Path

import swagger_ui_bundle
from flask import Flask, send_from_directory
from flask.json.provider import DefaultJSONProvider
from werkzeug.middleware.proxy_fix import ProxyFix

import web
from core import jobs, metrics, observe
from core.db import init_database
from core.http import OmsApi, register_error_handlers
from core.rate_limits import init_rate_limits
from fulfillment import api as fulfillment_api
from fulfillment import jobs as fulfillment_jobs
from fulfillment import order_port
from integrations import outbound as outbound_integration
from integrations import shopify as shopify_integration
from integrations import stock as stock_integration
from integrations.outbound import api as outbound_api
from integrations.shopify import webhooks as shopify_webhooks
from inventory import api as inventory_api
from inventory import cli as inventory_cli
from inventory import jobs as inventory_jobs
from oms import api as oms_api
from oms import catalogue, health, migrate, options_api, policy
from oms import cli as oms_cli
from oms import jobs as oms_jobs
from oms.config import Settings, normalise_database_url
from oms.fulfillment_port import OmsOrders
from oms.returns_port import OmsReturnOrders
from returns import api as returns_api
from returns import order_port as returns_order_port
from returns import policy as returns_policy

SWAGGER_ASSETS = Path(swagger_ui_bundle.swagger_ui_path)
API_DESCRIPTION = """\
The order management and fulfillment hub of an omnichannel retailer: one stock ledger across
warehouses and stores (locations, items, movements, transfers, availability), orders from every
channel with their routing, customers, and the work at the nodes (pick lists with leases,
picking, shipping, store pickups). Shopify sends its orders to `POST /webhooks/shopify`.

Every `/api/v1` call needs `Authorization: Bearer <key>`; a key has a role (`admin`,
`channel`, `wms`, `store`, `cs`) and may be scoped to a location or a channel. Bodies are
JSON (`Content-Type: application/json`; anything else is a 415). Money is a decimal string
(`"12.50"`), quantities whole numbers, times ISO 8601 in UTC. Creating POSTs accept an
`Idempotency-Key` header: a retry with the same key and body gets the original answer
(`Idempotent-Replayed: true`), another body a 409.

Every error has the same body: `{"error": {"code", "message", "fields", "details"?}}`, with
`fields` naming each field, query parameter, path part or header at fault (dotted paths such
as `lines.0.sku`).

Every response carries `X-Request-Id`: the one the request sent (1-128 letters, digits or
`._:=+/-`), else a new one. Quote it when reporting a problem: our log lines, the jobs the
request caused and the webhooks its events made carry it.

Each key has a rate limit by its role (a 429 `too_many_requests` with `Retry-After` beyond it;
nothing was run), bodies are at most 1 MiB by default (413 `too_large`), and a request the
database could not finish in time is a 503 `timeout` with `Retry-After`."""


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    observe.configure_logging(settings.log_level, settings.log_format)
    app = Flask("oms")
    # First: every request's id and clock start before any other hook runs (and its
    # after_request, run last, sees the final response).
    observe.init_app(app)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        OMS_SETTINGS=settings,
        API_TITLE="Omnichannel OMS",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        # Served from the swagger-ui-bundle package: the docs work without internet access.
        OPENAPI_SWAGGER_UI_URL="/api/v1/docs-assets/",
        # Werkzeug refuses to read a longer body (413, core.http); a route may allow more
        # for itself (the Shopify webhook).
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
    )
    assert isinstance(app.json, DefaultJSONProvider)  # Flask's own, which has sort_keys
    app.json.sort_keys = False  # keep the documented field order in responses
    replica = settings.database_replica_url
    init_database(normalise_database_url(settings.database_url),
                  replica_url=normalise_database_url(replica) if replica else None,
                  timeouts=settings.db_timeouts, pgbouncer=settings.database_pgbouncer,
                  replica_pgbouncer=settings.database_replica_pgbouncer)
    jobs.init_dispatcher(settings.redis_url, app)
    policy.configure(settings.order_policy or policy.OrderPolicy.from_env())
    returns_policy.configure(returns_policy.ReturnPolicy.from_env())
    wire()
    inventory_jobs.register()
    fulfillment_jobs.register()
    oms_jobs.register()
    # First of the before_request hooks: a caller over its limit costs one counter hit, not
    # the staff pages' session lookup or a CSRF check.
    init_rate_limits(app, settings.rate_limits)

    api = OmsApi(app, spec_kwargs={
        "info": {"description": API_DESCRIPTION},
        "components": {"securitySchemes": {"bearer": {
            "type": "http", "scheme": "bearer",
            "description": "An API key: `flask --app wsgi oms create-api-key --role ROLE`"}}},
        "security": [{"bearer": []}]})
    app.extensions["oms_api"] = api
    api.register_blueprint(inventory_api.blp)
    api.register_blueprint(oms_api.blp)
    api.register_blueprint(options_api.blp)
    api.register_blueprint(fulfillment_api.blp)
    api.register_blueprint(returns_api.blp)
    app.register_blueprint(health.blp)
    shopify_integration.register(app)
    outbound_integration.register(app, api)
    stock_integration.register(app, api)
    shopify_integration.document(api.spec, app)
    catalogue.document(api.spec)  # last: every package has registered its topics by now
    # The staff pages. Every other blueprint authenticates each request itself (API keys,
    # Shopify's HMAC), never by cookie, so cross-site forms cannot act through it: no CSRF.
    web.init_app(app, csrf_exempt=[
        inventory_api.blp, oms_api.blp, options_api.blp, fulfillment_api.blp, returns_api.blp,
        outbound_api.blp, shopify_webhooks.bp, health.blp])
    if settings.trusted_proxies:
        # Behind N proxies: believe their X-Forwarded-For (the sign-in throttle's client
        # address) and X-Forwarded-Proto (Secure cookies in the "auto" mode).
        app.wsgi_app = ProxyFix(app.wsgi_app,  # type: ignore[method-assign]
                                x_for=settings.trusted_proxies, x_proto=settings.trusted_proxies)
    register_error_handlers(app)
    metrics.register_collector("jobs", metrics.queue_lengths)

    @app.get("/api/v1/docs-assets/<path:filename>")
    def swagger_assets(filename: str):
        return send_from_directory(SWAGGER_ASSETS, filename)

    app.cli.add_command(migrate.cli)
    app.cli.add_command(oms_cli.cli)
    app.cli.add_command(inventory_cli.cli)
    return app


def wire() -> None:
    """Connect the packages' interfaces to what implements them (lower layers never import
    the higher ones): fulfillment reaches orders through `fulfillment.order_port`, returns
    through `returns.order_port`."""
    order_port.wire(OmsOrders())
    returns_order_port.wire(OmsReturnOrders())


def start_background_worker(app: Flask) -> None:
    """In the embedded mode, run jobs and periodic jobs on threads of this process
    (gunicorn's post_worker_init calls this; see oms/gunicorn_conf.py)."""
    settings: Settings = app.config["OMS_SETTINGS"]
    dispatcher = jobs.dispatcher()
    if settings.embedded and settings.embedded_worker:
        assert isinstance(dispatcher, jobs.EmbeddedDispatcher)
        dispatcher.start()
