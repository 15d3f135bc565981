"""A return rule the request breaks: a 422 naming the field and the rule (`details.rule`)."""

from __future__ import annotations

from typing import Any

from core.errors import InvalidInput

RULES = {
    "unknown_line": "the line is not on the order",
    "duplicate_line": "each order line once per return",
    "unknown_reason": "the reason is one of the list",
    "not_handed_over": "only units handed over (shipped, picked up, carried out) come back",
    "over_return": "no more than handed over, minus what is already returned or authorised",
    "return_window": "the channel's return window from hand-over",
    "location_inactive": "a return comes back to an active store or warehouse",
    "receipt_exceeds_authorised": "no more received than authorised and not yet received",
    "not_on_return": "the line is not on this return",
    "exchange_payment": "the payment is the exchange's difference",
}


class ReturnRuleBroken(InvalidInput):
    code = "return_rule"

    def __init__(self, rule: str, field: str, problem: str, **details: Any):
        assert rule in RULES, rule
        super().__init__(field, f"{problem} (rule {rule}: {RULES[rule]})", rule=rule,
                         **details)
