"""The event catalogue (`oms.catalogue`) covers every topic the code writes to the outbox, and
nothing else; registering is strict about what a topic means."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from oms import catalogue, event_schemas
from oms.domain import ORDER_STATUSES

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "inventory", "fulfillment", "returns", "oms", "integrations")
# Topics built at run time from a template, and every value the template can take
# (`oms.orders.roll_up`: the order's new status).
DYNAMIC = {"order.{}": ORDER_STATUSES}


def _topic_expressions(node: ast.AST) -> Iterator[ast.AST]:
    """Where a topic is written: `topic=...` (record, note, roll_up, returned), a parameter
    `topic` with a default, and the topic argument of `publish(uow, order, topic, ...)`."""
    if isinstance(node, ast.keyword) and node.arg == "topic":
        yield node.value
    elif isinstance(node, ast.arguments):
        named = node.posonlyargs + node.args
        defaults = zip(named[len(named) - len(node.defaults):], node.defaults, strict=True)
        for arg, default in [*defaults, *zip(node.kwonlyargs, node.kw_defaults, strict=True)]:
            if arg.arg == "topic" and default is not None:
                yield default
    elif isinstance(node, ast.Call):
        name = getattr(node.func, "attr", getattr(node.func, "id", None))
        if name == "publish" and len(node.args) >= 3:
            yield node.args[2]


def _template(node: ast.JoinedStr) -> str:
    return "".join(part.value if isinstance(part, ast.Constant) else "{}"
                   for part in node.values)


def written() -> tuple[set[str], set[str]]:
    """The topic literals and templates in the application's code."""
    literals: set[str] = set()
    templates: set[str] = set()
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                for expression in _topic_expressions(node):
                    for part in ast.walk(expression):
                        if isinstance(part, ast.JoinedStr):
                            templates.add(_template(part))
                        elif (isinstance(part, ast.Constant) and isinstance(part.value, str)
                              and "/" not in part.value):  # `orders/create`: Shopify's own
                            literals.add(part.value)
    # A template's constant parts are not topics of their own.
    literals -= {part for t in templates for part in t.split("{}")}
    return literals, templates


def test_every_topic_written_anywhere_has_a_schema_and_every_schema_a_writer():
    literals, templates = written()
    assert {"order.created", "fulfillment.created", "fulfillment.cancelled",
            "fulfillment.shipped", "return.received", "refund.created"} <= literals
    assert templates <= set(DYNAMIC), f"tell this test what {templates - set(DYNAMIC)} can be"
    topics = literals | {t.format(v) for t in templates for v in DYNAMIC[t]}
    registered = {e.topic for e in catalogue.event_types()}
    assert topics - registered == set(), "written without a schema"
    # In the families this scan sees written (another may write its topic by other means).
    families = {t.split(".")[0] for t in topics}
    assert {t for t in registered if t.split(".")[0] in families} - topics == set(), (
        "a schema nothing writes")


def test_registering_is_idempotent_and_a_topic_means_one_thing():
    known = catalogue.event_type("fulfillment.shipped")
    assert known is not None and known.component == "FulfillmentShippedEvent"
    assert catalogue.register(known.topic, known.data, known.when) == known
    with pytest.raises(ValueError, match="registered already"):
        catalogue.register(known.topic, event_schemas.OrderEventData, known.when)
    with pytest.raises(ValueError, match=r"family\.name"):
        catalogue.register("Stock Changed", event_schemas.OrderData, "never")
    partly = catalogue.event_type("order.partially_fulfilled")
    assert partly is not None and partly.component == "OrderPartiallyFulfilledEvent"
    assert catalogue.version("fulfillment.created") == 1
