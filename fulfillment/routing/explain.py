"""Short, specific sentences for a customer-service rep, and the number formats they use."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from fulfillment.routing.model import Allocation


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100:,}.{cents % 100:02d}"


def km(distance: float) -> str:
    return f"{distance:.1f} km" if distance < 100 else f"{distance:,.0f} km"


def joined(parts: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def units(allocations: Iterable[Allocation]) -> str:
    """'JKT-1 x2, BOOT-1 x1' (per SKU, in allocation order)."""
    totals: dict[str, int] = {}
    for a in allocations:
        totals[a.sku] = totals.get(a.sku, 0) + a.quantity
    return ", ".join(f"{sku} x{qty}" for sku, qty in totals.items())


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def extra_packages(count: int, penalty_cents: int) -> str:
    if count <= 0 or penalty_cents == 0:
        return ""
    what = "the extra package" if count == 1 else f"{count} extra packages"
    return f" including {money(count * penalty_cents)} for {what}"


def day(when: date) -> str:
    """'Fri 4 Dec 2026'."""
    return f"{when:%a} {when.day} {when:%b %Y}"


def heuristic_note(candidates: int, lines: int, max_nodes: int | None,
                   max_lines: int | None) -> str:
    if max_nodes is not None and candidates > max_nodes:
        why = f"{candidates} candidate nodes, over the exact limit of {max_nodes}"
    else:
        why = f"{lines} lines, over the exact limit of {max_lines}"
    return f"heuristic plan ({why}): good but not proven optimal"


def aborted_note(steps: int, timed_out: bool, budget_ms: float | None) -> str:
    why = f"at its time budget of {budget_ms:g} ms" if timed_out else "at its step limit"
    return (f"exact search stopped {why} after {steps:,} steps: the best plan found (improved by "
            "local search), not proven optimal")


def kept_one_package(code: str, single: int, split: int, allowance: int) -> str:
    return (f"one package kept: {code} costs {money(single)}, {money(single - split)} more than "
            f"the cheapest split ({money(split)}), within the single-package tolerance of "
            f"{money(allowance)}")


def split_over_one(code: str, single: int, split: int, allowance: int) -> str:
    return (f"split chosen over one package from {code}: that would cost {money(single)}, "
            f"{money(single - split)} more than the split ({money(split)}), over the "
            f"single-package tolerance of {money(allowance)}")


def too_slow(earliest: dict[str, date], promised: date) -> str:
    """'skipped, too slow for the promised Fri 4 Dec 2026: dc-dallas and store-aus (earliest
    Mon 7 Dec 2026); dc-reno (earliest Tue 8 Dec 2026)': the nodes holding stock of the order,
    grouped by their earliest delivery, soonest first."""
    by_day: dict[date, list[str]] = {}
    for code, when in sorted(earliest.items(), key=lambda item: (item[1], item[0])):
        by_day.setdefault(when, []).append(code)
    groups = "; ".join(f"{joined(codes)} (earliest {day(when)})" for when, codes in by_day.items())
    return f"skipped, too slow for the promised {day(promised)}: {groups}"


def estimate(latest: tuple[date, str, str], method: str) -> str:
    when, _, why = latest
    what = "ready for pickup" if method == "pickup" else "estimated delivery"
    return f"{what} {day(when)} (the latest part: {why})"


def shortfall(line_id: str, sku: str, qty: int, backorder: bool, why: str) -> str:
    what = "backordered" if backorder else "unfillable (backorder not allowed)"
    return f"line {line_id} (SKU {sku}): {qty} {what}, {why}"


def node_pieces(allocations: Sequence[Allocation], used, dist, charge) -> list[str]:
    """'dc-east (1,204 km: JKT-1 x2; cost 14.80)' per node used."""
    return [
        f"{code} ({km(dist[code])}: {units(a for a in allocations if a.node == code)};"
        f" cost {money(charge[code])})"
        for code in used
    ]


def ship_decision(allocations, used, dist, charge, singles, complete, rest, penalty) -> str:
    """Why these packages: the node (or nodes), distance, cost, and the runner-up.
    `singles`: the nodes holding everything, best first; `rest`: the part of a pickup order
    the store lacks (its total is given with the pickup's)."""
    if len(used) == 1:
        code = used[0]
        if rest:
            text = f"the rest ships from {code}: {km(dist[code])}, cost {money(charge[code])}"
        else:
            held = "all lines in stock" if complete else "everything available in stock"
            text = f"{code}: {held}, {km(dist[code])}, cost {money(charge[code])}"
        runner = next((o for o in singles if o.code != code), None)
        if runner is None:
            return text + "; no other node holds every line"
        return (f"{text}; next best {runner.code} ({km(dist[runner.code])}) "
                f"cost {money(charge[runner.code])}")
    text = f"split across {joined(node_pieces(allocations, used, dist, charge))}"
    if not rest:
        total = sum(charge[code] for code in used) + penalty * (len(used) - 1)
        text += f": total {money(total)}{extra_packages(len(used) - 1, penalty)}"
        if singles:  # the single-package tolerance's note compares them
            return text
    if singles:
        best = singles[0].code
        return f"{text}; cheaper than the best single node {best} (cost {money(charge[best])})"
    return ("the rest ships " if rest else "no single node holds every line; ") + text
