"""The single stock ledger: locations, items, append-only movements, balances, reservations.

Knows SKUs, locations, quantities and opaque demand references ("order:123/line:4"); never
orders, channels or Shopify. Public surface:

- `inventory.services`: use cases that commit (receive, adjust, count, damage, transfer,
  receive_transfer, reserve, release, release_demand, consume, set_safety_stock, ...).
- `inventory.ledger`: the same operations inside a caller's transaction, for other packages.
- `inventory.queries`: stock across the network, per location, near a point; history.
- `inventory.invariants`: `find_drift`, what `flask inventory verify` runs.
"""
