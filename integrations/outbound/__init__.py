"""Outbound sync to webhook subscribers: every outbox row (`oms.models.OutboxEvent`) reaches
each subscription whose topics and location match it, signed, at least once, in order per
order (README, "Outbound sync").

- `models`: subscriptions, deliveries (one per outbox event and subscription, with a stable
  id) and each delivery's attempts;
- `fanout`: outbox rows -> delivery rows (after each commit that wrote outbox rows, and in the
  sweep);
- `relay`: one delivery attempt (HTTP outside any transaction), backoff, dead letters, the
  per-order ordering, the sweep and retention;
- `jobs`: the job functions (queue `webhooks`) and the periodic `oms-deliveries-sweep`;
- `api`: `/api/v1/subscriptions`, `/api/v1/deliveries`; `cli`: `flask integrations
  redeliver`.
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api


def register(app: Flask, api: Api) -> None:
    """Endpoints, the redeliver command, the periodic sweep, and the outbox's after-commit
    job (`oms.events.set_relay_job`)."""
    from core import metrics as core_metrics
    from integrations.outbound import api as outbound_api
    from integrations.outbound import cli, jobs, metrics

    api.register_blueprint(outbound_api.blp)
    cli.register(app)
    jobs.register()
    core_metrics.register_collector("outbox", metrics.outbox_depth)
