"""The Black-Friday mix for the soak (bench/soak/README.md): Locust users that act like the
systems and people of a busy retail day, against the OMS behind the cluster's load balancer.

Run by bench/soak/run.py (`locust -f bench/soak/locustfile.py --headless ...`), which writes
the configuration this file reads from the file named by `SOAK_CONFIG` (API keys per role and
location, the stores and warehouses, the SKUs, the hot SKU, the Shopify shop and its secret,
the directory to record into). Each Locust process appends what the checks need to two files
of its own in that directory, one JSON object a line, flushed at once so that a run cut short
still counts:

- `requests-<pid>.jsonl`: every HTTP attempt: `t` (epoch seconds), `name` (the endpoint as a
  template), `ms`, `status` (0: no answer), `kind` (`ok`, `expected` for a refusal the mix
  expects, e.g. a sold-out POS sale or a cancel of a shipped order, `unexpected` for a 4xx the
  mix did not expect, which is a bug in the mix or the product, `error` for 5xx or no answer),
  and for the last two what the server said;
- `facts-<pid>.jsonl`: the client side of every order: `order` (a REST order accepted: channel,
  external id, Idempotency-Key, order id, hot-SKU units asked), `order_unknown` (a REST order
  never answered after every retry: it may or may not exist), `shopify_order` (a Shopify order
  whose `orders/create` delivery was acknowledged).

Writes are retried as a careful client would: a connection error or a 502/503/504 (the balancer
or the server telling us nothing committed or nothing is known) is sent again with the same
`Idempotency-Key` (REST) or the same `X-Shopify-Webhook-Id` (Shopify retries the same way), so a
web process killed mid-request costs a retry, never a lost or doubled order.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import os
import random
import time
from collections import deque
from pathlib import Path
from typing import Any

from locust import HttpUser, between, events, task

API = "/api/v1"
RETRY_STATUSES = {0, 502, 503, 504}
RETRIES = 8  # ~12 s of retries: longer than haproxy takes to mark a dead web process down

_config: dict[str, Any] = {}
_requests_file: Any = None
_facts_file: Any = None


def config() -> dict[str, Any]:
    if not _config:
        path = os.environ.get("SOAK_CONFIG")
        if not path:
            raise RuntimeError("SOAK_CONFIG is not set: run the soak with bench/soak/run.py")
        _config.update(json.loads(Path(path).read_text()))
    return _config


def _open(kind: str) -> Any:
    directory = Path(config()["record_dir"])
    directory.mkdir(parents=True, exist_ok=True)
    return (directory / f"{kind}-{os.getpid()}.jsonl").open("a", buffering=1)


def record_request(row: dict[str, Any]) -> None:
    global _requests_file
    if _requests_file is None:
        _requests_file = _open("requests")
    _requests_file.write(json.dumps(row) + "\n")


def record_fact(row: dict[str, Any]) -> None:
    global _facts_file
    if _facts_file is None:
        _facts_file = _open("facts")
    row["t"] = time.time()
    _facts_file.write(json.dumps(row) + "\n")


@events.quitting.add_listener
def _close(**_: Any) -> None:
    for handle in (_requests_file, _facts_file):
        if handle is not None:
            handle.flush()


# ------------------------------------------------------------------ shared state of the process
# What one user did that another acts on (a store hands over what a web order routed there, the
# returns desk takes back what was shipped). Bounded: the oldest fall off.
_numbers = itertools.count(1)
pickup_codes: dict[int, str] = {}                 # fulfillment id -> code read to the customer
handed_over: deque[tuple[int, str]] = deque(maxlen=400)   # (order id, number) shipped or collected
accepted: deque[dict[str, Any]] = deque(maxlen=400)       # REST orders accepted (for CS, cancels)
shopify_sent: deque[dict[str, Any]] = deque(maxlen=200)   # Shopify orders to update or cancel
fulfillment_store: dict[int, str] = {}            # claimed pickup -> its store (for the hand-over)

FIRST = ["Ana", "Sam", "Jon", "Mia", "Leo", "Ava", "Noah", "Emma", "Liam", "Zoe", "Ivy", "Eli"]
LAST = ["Lopez", "Reed", "Snow", "Tanaka", "Okafor", "Novak", "Silva", "Khan", "Moreau",
        "Larsen", "Costa", "Berg"]
PLACES = [  # (city, region, postal code, street)
    ("New York", "NY", "10012", "120 Prince St"), ("Columbus", "OH", "43215", "50 W Broad St"),
    ("Chicago", "IL", "60611", "520 N Michigan Ave"), ("Los Angeles", "CA", "90036",
                                                       "189 The Grove Dr"),
    ("Seattle", "WA", "98101", "400 Pine St"), ("Austin", "TX", "78701", "600 Congress Ave"),
    ("Denver", "CO", "80206", "3000 E 1st Ave"), ("Miami", "FL", "33131", "701 S Miami Ave"),
    ("Boston", "MA", "02116", "300 Newbury St"), ("Atlanta", "GA", "30308", "675 Ponce De Leon")]


def person(rng: random.Random) -> dict[str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    digits = f"{rng.randrange(100):02d}"
    phone = rng.choice([f"(212) 555-01{digits}", f"+1 212 555 01{digits}", f"212.555.01{digits}"])
    return {"name": f"{first} {last}", "email": f"{first}.{last}.{digits}@example.com".lower(),
            "phone": phone}


def address(rng: random.Random, who: dict[str, str]) -> dict[str, str]:
    city, region, postal, street = rng.choice(PLACES)
    return {"name": who["name"], "line1": street, "city": city, "region": region,
            "postal_code": postal, "country": "US"}


class SoakUser(HttpUser):
    """The calls every user makes: classified, recorded, retried when nothing is known."""

    abstract = True
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.cfg = config()
        self.rng = random.Random()
        self.run_id = self.cfg["run_id"]

    def key(self, role: str, location: str | None = None) -> str:
        keys = self.cfg["keys"][role]
        return keys[location] if location else keys

    def call(self, name: str, method: str, path: str, key: str, body: Any = None, *,
             expect: dict[int, str] | None = None, idempotency_key: str | None = None,
             params: dict[str, Any] | None = None, retry: bool = True) -> tuple[int, Any]:
        """One logical call. `expect`: 4xx statuses this call may get by the rules of the
        business (the reason is recorded), everything else 4xx is `unexpected`. Retried on no
        answer or 502/503/504 when `retry` (every write here is idempotent: a key, or a state
        the second attempt finds done, e.g. a pick of a picked fulfillment answers 409)."""
        headers = {"Authorization": f"Bearer {key}"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        status, data = 0, None
        for attempt in range(RETRIES if retry else 1):
            status, data = self._once(name, method, path, headers, body, params, expect or {},
                                      attempt)
            if status not in RETRY_STATUSES:
                break
            time.sleep(min(0.5 * (attempt + 1), 2.0))
        return status, data

    def _once(self, name: str, method: str, path: str, headers: dict[str, str], body: Any,
              params: dict[str, Any] | None, expect: dict[int, str],
              attempt: int) -> tuple[int, Any]:
        started = time.time()
        with self.client.request(method, API + path, json=body, headers=headers, params=params,
                                 name=name, catch_response=True, timeout=30) as response:
            status = response.status_code or 0
            try:
                data = response.json() if response.content else None
            except ValueError:
                data = None
            row: dict[str, Any] = {"t": started, "name": name, "status": status,
                                   "ms": round((time.time() - started) * 1000, 2),
                                   "attempt": attempt}
            if 200 <= status < 300:
                row["kind"] = "ok"
                response.success()
            elif attempt > 0 and 400 <= status < 500:
                # The attempt before got no answer and may have committed: a retry finding
                # its work done (a 409) is the careful client's lot, not a refusal of the mix.
                row["kind"], row["why"] = "expected", "retry of an attempt that may have committed"
                response.success()
            elif status in expect:
                row["kind"], row["why"] = "expected", expect[status]
                response.success()  # a refusal the business rules call for
            elif 400 <= status < 500:
                row["kind"] = "unexpected"
                row["error"] = (data or {}).get("error") if isinstance(data, dict) else None
                row["path"] = path
                response.failure(f"unexpected {status}")
            else:
                row["kind"] = "error"
                row["error"] = (str(response.error)[:200] if status == 0
                                else (response.text or "")[:200])
                response.failure(f"{status or 'no answer'}")
            record_request(row)
            return status, data

    # ---------------------------------------------------------------- orders over REST
    def place(self, channel: str, fulfillment: dict[str, Any], lines: list[dict[str, Any]],
              who: dict[str, str], expect: dict[int, str] | None = None) -> dict[str, Any] | None:
        external_id = f"{self.run_id}-{channel}-{os.getpid()}-{next(_numbers)}"
        idem = f"soak-{external_id}"
        hot = sum(ln["quantity"] for ln in lines if ln["sku"] == self.cfg["hot_sku"])
        body = {"channel": channel, "external_id": external_id, "currency": "USD",
                "customer": who, "lines": lines, "fulfillment": fulfillment}
        status, data = self.call("POST /orders", "POST", "/orders", self.key(channel), body,
                                 idempotency_key=idem, expect=expect)
        if status in (200, 201) and isinstance(data, dict):
            hot_allocated = sum(ln.get("allocated", 0) + ln.get("fulfilled", 0)
                                for ln in data.get("lines", [])
                                if ln.get("sku") == self.cfg["hot_sku"])
            fact = {"fact": "order", "channel": channel, "external_id": external_id,
                    "idempotency_key": idem, "order_id": data["id"], "number": data["number"],
                    "status": data["status"], "hot_units": hot, "hot_allocated": hot_allocated,
                    "who": who}
            record_fact(fact)
            accepted.append(fact)
            return data
        if status in RETRY_STATUSES:
            record_fact({"fact": "order_unknown", "channel": channel,
                         "external_id": external_id, "idempotency_key": idem})
        return None

    def cart(self, n: int | None = None) -> list[dict[str, Any]]:
        skus = self.cfg["skus"]
        n = n or self.rng.choice([1, 1, 1, 2, 2, 3])
        lines = [{"sku": sku, "quantity": self.rng.choice([1, 1, 1, 2]),
                  "unit_price": self.cfg["prices"][sku]}
                 for sku in self.rng.sample(skus, n)]
        if self.rng.random() < self.cfg["hot_share"]:
            lines[0] = {"sku": self.cfg["hot_sku"], "quantity": 1,
                        "unit_price": self.cfg["prices"][self.cfg["hot_sku"]]}
        return lines


class WebShopper(SoakUser):
    """The web shop and the marketplace: product and cart pages ask what can be promised,
    then ship-to-home and BOPIS orders; some customers cancel."""

    weight = 6

    @task(5)
    def fulfillment_options(self) -> None:
        lines = [{"sku": ln["sku"], "quantity": ln["quantity"]} for ln in self.cart()]
        _, _, postal, _ = self.rng.choice(PLACES)
        self.call("POST /fulfillment-options", "POST", "/fulfillment-options",
                  self.key("web"), {"lines": lines,
                                    "destination": {"postal_code": postal, "country": "US"},
                                    "pickup_location": self.rng.choice(self.cfg["staffed"]),
                                    "radius_km": 200})

    @task(4)
    def ship_order(self) -> None:
        who = person(self.rng)
        channel = self.rng.choice(["web", "web", "web", "marketplace"])
        self.place(channel, {"method": "ship", "address": address(self.rng, who)}, self.cart(),
                   who)

    @task(2)
    def bopis_order(self) -> None:
        who = person(self.rng)
        self.place("web", {"method": "pickup",
                           "pickup_location": self.rng.choice(self.cfg["staffed"])},
                   self.cart(), who)

    @task(1)
    def cancel(self) -> None:
        mine = [o for o in accepted if o["channel"] in ("web", "marketplace")]
        if not mine:
            return
        order = self.rng.choice(mine)
        # Shipped or collected already: a return, not a cancel (409); cancelled by someone
        # else meanwhile answers the cancelled order.
        self.call("POST /orders/{id}/cancel", "POST", f"/orders/{order['order_id']}/cancel",
                  self.key(order["channel"]), {"reason": "customer changed their mind"},
                  expect={409: "already shipped or handed over"})


class PosTill(SoakUser):
    """Store tills selling from the shelf (carry-out): what a till sells is what the store's
    shelf showed a minute ago (and, now and then, the hot SKU a customer brings to the till).
    A unit sold meanwhile is refused at the till (409 insufficient stock), as a till would."""

    weight = 3
    shelves: dict[str, tuple[float, list[str]]] = {}  # store -> (read at, SKUs available)

    def shelf(self, store: str) -> list[str]:
        read_at, skus = self.shelves.get(store, (0.0, []))
        if time.time() - read_at > 60:
            status, data = self.call("GET /locations/{code}/stock", "GET",
                                     f"/locations/{store}/stock", self.key("pos"),
                                     params={"available_only": "true", "limit": 200})
            if status == 200:
                skus = [row["sku"] for row in (data or {}).get("items", [])
                        if row["sku"] in self.cfg["prices"]]
                self.shelves[store] = (time.time(), skus)
        return skus

    @task
    def sale(self) -> None:
        store = self.rng.choice(self.cfg["pos_stores"])
        shelf = self.shelf(store)
        if not shelf:
            return
        skus = self.rng.sample(shelf, min(len(shelf), self.rng.choice([1, 1, 2])))
        if self.rng.random() < self.cfg["hot_share"]:
            skus[0] = self.cfg["hot_sku"]
        lines = [{"sku": sku, "quantity": 1, "unit_price": self.cfg["prices"][sku]}
                 for sku in dict.fromkeys(skus)]
        who = person(self.rng) if self.rng.random() < 0.6 else {"name": "Walk-in"}
        hot = any(ln["sku"] == self.cfg["hot_sku"] for ln in lines)
        self.place("pos", {"method": "carry_out", "location": store}, lines, who,
                   expect={409: "hot SKU not (or no longer) on this shelf" if hot else
                           "sold at this till since the shelf was read"})


class ShopifyWebhooks(SoakUser):
    """Shopify delivering webhooks, signed with the shop's secret, the way it really does:
    some twice (the same webhook id: `duplicate`), some through a second subscription (a new
    webhook id, the same order: one order), updates out of order (the older one must be
    ignored as stale), cancellations."""

    weight = 3

    def deliver(self, topic: str, payload: dict[str, Any], webhook_id: str) -> tuple[int, Any]:
        shop = self.cfg["shop"]
        raw = json.dumps(payload).encode()
        signature = base64.b64encode(hmac.new(shop["secret"].encode(), raw,
                                              hashlib.sha256).digest()).decode()
        headers = {"Content-Type": "application/json", "X-Shopify-Topic": topic,
                   "X-Shopify-Shop-Domain": shop["domain"], "X-Shopify-Hmac-Sha256": signature,
                   "X-Shopify-Webhook-Id": webhook_id, "X-Shopify-API-Version": "2025-10"}
        status, data = 0, None
        for attempt in range(RETRIES):  # Shopify retries a failed delivery (same webhook id)
            started = time.time()
            with self.client.post("/webhooks/shopify", data=raw, headers=headers,
                                  name=f"POST /webhooks/shopify {topic}", catch_response=True,
                                  timeout=30) as response:
                status = response.status_code or 0
                try:
                    data = response.json()
                except ValueError:
                    data = None
                row = {"t": started, "name": f"POST /webhooks/shopify {topic}",
                       "status": status, "ms": round((time.time() - started) * 1000, 2),
                       "attempt": attempt, "kind": "ok" if status == 200 else
                       ("unexpected" if 400 <= status < 500 else "error")}
                if status == 200:
                    response.success()
                else:
                    row["error"] = (response.text or str(response.error))[:200]
                    response.failure(str(status))
                record_request(row)
            if status not in RETRY_STATUSES:
                break
            time.sleep(min(0.5 * (attempt + 1), 2.0))
        return status, data

    def order_payload(self, order_id: int, lines: list[dict[str, Any]], who: dict[str, str],
                      updated: str) -> dict[str, Any]:
        first, last = who["name"].split(" ", 1)
        city, region, postal, street = self.rng.choice(PLACES)
        return {"id": order_id, "name": f"#S{order_id % 10_000_000}", "email": who["email"],
                "currency": "USD", "updated_at": updated,
                "customer": {"first_name": first, "last_name": last,
                             "phone": "+1212555" + who["phone"][-4:]},
                "shipping_address": {"first_name": first, "last_name": last,
                                     "address1": street, "city": city, "province_code": region,
                                     "zip": postal, "country_code": "US"},
                "shipping_lines": [{"code": "standard", "title": "Standard", "price": "0.00"}],
                "line_items": [{"id": order_id * 10 + i, "sku": ln["sku"], "title": ln["sku"],
                                "quantity": ln["quantity"], "current_quantity": ln["quantity"],
                                "price": ln["unit_price"]} for i, ln in enumerate(lines)]}

    @task(6)
    def orders_create(self) -> None:
        order_id = int(self.cfg["shopify_base"]) + os.getpid() * 1_000_000 + next(_numbers)
        who = person(self.rng)
        payload = self.order_payload(order_id, self.cart(), who,
                                     time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()))
        webhook_id = f"{self.run_id}-create-{order_id}"
        status, _ = self.deliver("orders/create", payload, webhook_id)
        if status != 200:
            return
        record_fact({"fact": "shopify_order", "shopify_id": order_id,
                     "hot_units": sum(li["quantity"] for li in payload["line_items"]
                                      if li["sku"] == self.cfg["hot_sku"])})
        shopify_sent.append({"payload": payload, "version": 0})
        roll = self.rng.random()
        if roll < 0.15:      # Shopify delivered it twice: the same webhook id
            self.deliver("orders/create", payload, webhook_id)
        elif roll < 0.25:    # the same order through a second subscription: a new webhook id
            self.deliver("orders/create", payload, f"{webhook_id}-sub2")

    @task(2)
    def orders_updated_out_of_order(self) -> None:
        """Two edits of one order delivered newest first: a unit removed from the first line
        (when it has two), then an older edit that must be ignored as stale."""
        if not shopify_sent:
            return
        sent = self.rng.choice(list(shopify_sent))
        payload = json.loads(json.dumps(sent["payload"]))
        sent["version"] += 2
        base = time.time()
        newer = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(base + 2))
        older = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(base + 1))
        first = payload["line_items"][0]
        if first["quantity"] > 1:
            first["current_quantity"] = first["quantity"] - 1
        payload["updated_at"] = newer
        order_id = payload["id"]
        self.deliver("orders/updated", payload, f"{self.run_id}-upd-{order_id}-{sent['version']}")
        stale = json.loads(json.dumps(sent["payload"]))
        stale["updated_at"] = older
        self.deliver("orders/updated", stale,
                     f"{self.run_id}-upd-{order_id}-{sent['version'] - 1}")

    @task(1)
    def orders_cancelled(self) -> None:
        if not shopify_sent:
            return
        sent = shopify_sent.popleft()  # cancelled once; a second delivery is its duplicate
        payload = dict(sent["payload"], cancelled_at=time.strftime(
            "%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()), cancel_reason="customer",
            updated_at=time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() + 5)))
        webhook_id = f"{self.run_id}-cancel-{payload['id']}"
        self.deliver("orders/cancelled", payload, webhook_id)
        if self.rng.random() < 0.3:
            self.deliver("orders/cancelled", payload, webhook_id)


class WarehousePoller(SoakUser):
    """A warehouse's WMS: claims pick lists with a lease, picks (now and then short), ships,
    and ships the transfers that feed store pickups."""

    weight = 3
    wait_time = between(1.0, 3.0)

    @task
    def work(self) -> None:
        dc = self.rng.choice(self.cfg["dcs"])
        do_work(self, dc, self.key("wms", dc))


class StoreStaff(SoakUser):
    """Store staff at a staffed store: receive transfers, prepare pickups (the code read to the
    customer), hand them over at the counter, pack ship-from-store parcels; the returns desk
    takes back what was bought on any channel (sometimes as an exchange)."""

    weight = 4
    wait_time = between(1.0, 3.0)

    def store(self) -> tuple[str, str]:
        if self.rng.random() < 0.3:  # the stores nobody watches in the mix: a regional key
            store = self.rng.choice(self.cfg["other_stores"])
            return store, self.cfg["keys"]["regional"]
        store = self.rng.choice(self.cfg["staffed"])
        return store, self.key("store", store)

    @task(3)
    def pick_lists(self) -> None:
        store, key = self.store()
        do_work(self, store, key)

    @task(2)
    def receive_transfers(self) -> None:
        store, key = self.store()
        status, data = self.call("GET /transfers", "GET", "/transfers", key,
                                 params={"location": store, "status": "in_transit",
                                         "limit": 10})
        # The list has the store's transfers both ways; only the destination receives.
        arriving = [t for t in (data or {}).get("items", []) if t["to_location"] == store]
        for transfer in arriving[:5] if status == 200 else []:
            self.call("POST /transfers/{id}/receive", "POST",
                      f"/transfers/{transfer['id']}/receive", key, {},
                      expect={409: "received meanwhile by a colleague"})

    @task(3)
    def hand_over_pickups(self) -> None:
        for fid in list(pickup_codes)[:3]:
            # Taken off both maps before the first request yields: another user of this
            # process may be looking at the same pickup.
            code, store = pickup_codes.pop(fid, None), fulfillment_store.pop(fid, None)
            if code is None or store is None:
                continue
            key = (self.key("store", store) if store in self.cfg["staffed"]
                   else self.cfg["keys"]["regional"])
            typed = code.lower().replace("-", " ") if self.rng.random() < 0.5 else code
            status, data = self.call("POST /fulfillments/{id}/pickup", "POST",
                                     f"/fulfillments/{fid}/pickup", key, {"code": typed},
                                     expect={409: "cancelled meanwhile (order cancelled)"})
            if status == 200 and isinstance(data, dict):
                handed_over.append((data["order_id"], data["order_number"]))

    @task(1)
    def returns_desk(self) -> None:
        if not handed_over:
            return
        store = self.rng.choice(self.cfg["staffed"])
        key = self.key("store", store)
        order_id, number = self.rng.choice(list(handed_over))
        query = number.split("-", 1)[-1] if self.rng.random() < 0.5 else number
        status, data = self.call("GET /returns/lookup", "GET", "/returns/lookup", key,
                                 params={"q": query})
        if status != 200:
            return
        orders = [o for o in (data or {}).get("items", []) if o.get("order_id") == order_id]
        lines = [ln for o in orders for ln in o.get("lines", []) if ln.get("returnable", 0) > 0]
        if not lines:
            return
        line = self.rng.choice(lines)
        body: dict[str, Any] = {"order_id": order_id, "location": store,
                                "lines": [{"line_id": line["line_id"], "quantity": 1,
                                           "reason": "wrong_size"}],
                                "note": "soak: returned at the counter"}
        if self.rng.random() < 0.35 and line["sku"] != self.cfg["hot_sku"]:
            body["exchange_lines"] = [{"sku": line["sku"], "quantity": 1}]  # another of it
        idem = f"soak-{self.run_id}-ret-{os.getpid()}-{next(_numbers)}"
        status, ret = self.call("POST /returns", "POST", "/returns", key, body,
                                idempotency_key=idem,
                                expect={422: "returned meanwhile at another counter",
                                        409: "no location has the exchange items"})
        if status != 201 or not isinstance(ret, dict):
            return
        disposition = "restock" if self.rng.random() < 0.85 else "damaged"
        self.call("POST /returns/{id}/receive", "POST", f"/returns/{ret['id']}/receive", key,
                  {"lines": [{"line_id": line["line_id"], "quantity": 1,
                              "disposition": disposition}]},
                  idempotency_key=f"{idem}-receive")


def do_work(user: SoakUser, location: str, key: str) -> None:
    """Claim open work at a location and move each item one step: pick and ship parcels and
    transfers (now and then a short pick, which re-routes the rest), prepare pickups."""
    status, data = user.call("POST /pick-lists/claim", "POST", "/pick-lists/claim", key,
                             {"location": location, "limit": 4, "lease_seconds": 120})
    if status != 200:
        return
    for f in (data or {}).get("items", []):
        fid = f["id"]
        conflict = {409: "cancelled or re-routed meanwhile (a cancel won the race)"}
        if f["method"] == "pickup":
            if f["status"] == "pending":
                status, ready = user.call("POST /fulfillments/{id}/ready-for-pickup", "POST",
                                          f"/fulfillments/{fid}/ready-for-pickup", key, {},
                                          expect=conflict)
                if status == 200 and isinstance(ready, dict) and ready.get("pickup_code"):
                    pickup_codes[fid] = ready["pickup_code"]
                    fulfillment_store[fid] = location
            continue
        short = user.rng.random() < 0.04
        lines = [{"line_id": ln["line_id"],
                  "picked_quantity": ln["quantity"] - (1 if short and i == 0 else 0)}
                 for i, ln in enumerate(f["lines"])]
        if f["status"] not in ("picked",):
            status, _ = user.call("POST /fulfillments/{id}/pick", "POST",
                                  f"/fulfillments/{fid}/pick", key, {"lines": lines},
                                  expect=conflict)
            if status != 200:
                continue
        status, shipped = user.call(
            "POST /fulfillments/{id}/ship", "POST", f"/fulfillments/{fid}/ship", key,
            {"carrier": "UPS", "tracking_number": f"1ZSOAK{user.run_id.upper()}{fid:08d}"},
            expect={409: "nothing left to ship (short-picked away) or cancelled meanwhile"})
        if status == 200 and isinstance(shipped, dict) and f["method"] == "ship":
            handed_over.append((shipped["order_id"], shipped["order_number"]))


class CustomerService(SoakUser):
    """Customer service finding orders from what callers say (a surname, the end of a phone
    number, an order number without its prefix) and acting on some."""

    weight = 3

    @task(3)
    def search_surname(self) -> None:
        self.call("GET /orders?q=surname", "GET", "/orders", self.key("cs"),
                  params={"q": self.rng.choice(LAST), "limit": 20})

    @task(2)
    def search_phone_tail(self) -> None:
        self.call("GET /orders?q=phone", "GET", "/orders", self.key("cs"),
                  params={"q": f"555-01{self.rng.randrange(100):02d}", "limit": 20})

    @task(3)
    def search_number(self) -> None:
        if not accepted:
            return
        order = self.rng.choice(list(accepted))
        status, data = self.call("GET /orders?q=number", "GET", "/orders", self.key("cs"),
                                 params={"q": order["number"].split("-", 1)[-1]})
        if status == 200 and (data or {}).get("items"):
            self.call("GET /orders/{id}", "GET", f"/orders/{order['order_id']}", self.key("cs"))

    @task(1)
    def customer(self) -> None:
        self.call("GET /customers?q=", "GET", "/customers", self.key("cs"),
                  params={"q": self.rng.choice(LAST)})

    @task(1)
    def cancel_a_line(self) -> None:
        if not accepted:
            return
        order = self.rng.choice(list(accepted))
        self.call("POST /orders/{id}/cancel", "POST", f"/orders/{order['order_id']}/cancel",
                  self.key("cs"), {"reason": "customer called to cancel"},
                  expect={409: "already shipped or handed over"})
