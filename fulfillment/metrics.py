"""Routing's metrics (README, "Observability")."""

from __future__ import annotations

from prometheus_client import Histogram

# A decision takes about 0.1-4 ms (OMS_ROUTING_TIME_BUDGET_MS bounds the exact search).
ROUTING_BUCKETS = (0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256,
                   0.512, 1.024)

ROUTING_SECONDS = Histogram(
    "oms_routing_decision_seconds",
    "Time routing takes to decide a plan (fulfillment.routing.route), by method.",
    ["method"], buckets=ROUTING_BUCKETS)
