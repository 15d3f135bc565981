"""Job functions (queue `webhooks`; they take ids and are safe to run twice) and the periodic
sweep `oms-deliveries-sweep`."""

from __future__ import annotations

from core import jobs
from integrations.outbound import relay, settings
from oms import events


def deliver(delivery_id: int) -> str:
    return relay.deliver(delivery_id)


def fan_out() -> int:
    return relay.after_outbox_commit()


def sweep() -> int:
    return relay.sweep()


def register() -> None:
    jobs.register_periodic(jobs.PeriodicJob(
        "oms-deliveries-sweep", "integrations.outbound.jobs.sweep",
        settings.current().sweep_seconds,
        queue=relay.QUEUE))
    events.set_relay_job(relay.FAN_OUT_JOB, relay.QUEUE)
