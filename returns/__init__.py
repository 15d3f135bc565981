"""Brings stock back: return authorisations, receipt at any location, dispositions, refunds,
exchanges. Uses `inventory`; built by the returns issue."""
