"""The edge: Shopify, POS, WMS and webhook subscribers, translated into our commands and out of
our events. Domain packages never import it; only the app factory does.

- `integrations.models`: the edge's tables (`integ_*`): configured Shopify shops and every
  inbound webhook delivery, stored before it is processed.
- `integrations.shopify`: `register(app)` adds `POST /webhooks/shopify` and the
  `flask integrations ...` commands; webhooks are verified, stored, answered 200 and processed
  by the `integrations.shopify.jobs.process_event` job.
"""
