"""Configured shops: lookup, webhook signature checks, create/update with secret rotation."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select

from core.db import read_session, unit_of_work, utcnow
from core.errors import InvalidInput
from integrations.models import ShopifyShop
from integrations.shopify.translate import location_id
from inventory import ledger

DEFAULT_API_VERSION = "2025-10"
ROTATION_GRACE = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Shop:
    """What processing needs to know about a shop (a detached, read-only view)."""

    domain: str
    api_version: str
    access_token: str | None
    location_map: dict[str, str] = field(default_factory=dict)
    webhook_secret: str = field(default="", repr=False)
    previous_secret: str | None = field(default=None, repr=False)
    previous_secret_until: dt.datetime | None = None


def normalise_domain(domain: str | None) -> str:
    return (domain or "").strip().lower().removeprefix("https://").removeprefix(
        "http://").rstrip("/")


def _view(row: ShopifyShop) -> Shop:
    return Shop(domain=row.domain, api_version=row.api_version, access_token=row.access_token,
                location_map=dict(row.location_map or {}), webhook_secret=row.webhook_secret,
                previous_secret=row.previous_secret,
                previous_secret_until=row.previous_secret_until)


def find(domain: str | None) -> Shop | None:
    key = normalise_domain(domain)
    if not key:
        return None
    with read_session() as session:
        row = session.scalars(select(ShopifyShop).where(ShopifyShop.domain == key)).first()
        return _view(row) if row else None


def signature(secret: str, body: bytes) -> str:
    """What Shopify puts in X-Shopify-Hmac-Sha256: base64(HMAC-SHA256(secret, raw body))."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify(shop: Shop, body: bytes, header: str | None, *, now: dt.datetime | None = None
           ) -> str | None:
    """Which secret signed the body ("current" or "previous"), or None. Constant-time."""
    if not header:
        return None
    given = header.strip().encode("ascii", "replace")
    if hmac.compare_digest(signature(shop.webhook_secret, body).encode("ascii"), given):
        return "current"
    now = now or utcnow()
    if (shop.previous_secret and shop.previous_secret_until
            and now < shop.previous_secret_until
            and hmac.compare_digest(signature(shop.previous_secret, body).encode("ascii"),
                                    given)):
        return "previous"
    return None


@dataclass(frozen=True)
class Saved:
    domain: str
    created: bool
    rotated: bool
    location_map: dict[str, str]


def check_locations(raw: Mapping[str, str]) -> dict[str, str]:
    """{shopify location id: our code}, every code one of our locations (422 otherwise)."""
    out: dict[str, str] = {}
    with read_session() as session:
        for shopify_id, code in raw.items():
            key = location_id(shopify_id)
            if key is None:
                raise InvalidInput("location", f"'{shopify_id}' is not a Shopify location id "
                                               "(digits, or gid://shopify/Location/N)")
            ledger.location_by_code(session, code, field="location")
            out[key] = code
    return out


def save(domain: str, *, secret: str | None = None, access_token: str | None = None,
         api_version: str | None = None, locations: Mapping[str, str] | None = None,
         now: dt.datetime | None = None) -> Saved:
    """Create the shop, or update it: a new secret moves the current one to `previous`, still
    accepted for an hour; locations are added to (or replace entries of) the map."""
    key = normalise_domain(domain)
    if not key or "/" in key or " " in key:
        raise InvalidInput("domain", "give the shop's myshopify domain, e.g. acme.myshopify.com")
    mapped = check_locations(locations or {})
    now = now or utcnow()
    with unit_of_work() as uow:
        session = uow.session
        row = session.scalars(select(ShopifyShop).where(ShopifyShop.domain == key)
                              .with_for_update()).first()
        created = row is None
        rotated = False
        if row is None:
            if not secret:
                raise InvalidInput("secret", "required when adding a shop")
            row = ShopifyShop(domain=key, webhook_secret=secret,
                              api_version=api_version or DEFAULT_API_VERSION,
                              access_token=access_token, location_map=mapped)
            session.add(row)
        else:
            if secret and secret != row.webhook_secret:
                row.previous_secret, row.previous_secret_until = (row.webhook_secret,
                                                                  now + ROTATION_GRACE)
                row.webhook_secret = secret
                rotated = True
            if access_token is not None:
                row.access_token = access_token or None
            if api_version:
                row.api_version = api_version
            if mapped:
                row.location_map = {**(row.location_map or {}), **mapped}
        session.flush()
        result = Saved(key, created, rotated, dict(row.location_map or {}))
        uow.commit()
    return result
