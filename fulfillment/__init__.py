"""Turns demand into work at nodes: routing, shipments, store pickups, pick lists.
Uses `inventory`'s public services; built by the routing and fulfillment issues."""
