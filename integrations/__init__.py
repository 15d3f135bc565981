"""The edge: Shopify, POS, WMS and webhook subscribers, translated into our commands and out of
our events. Domain packages never import it; only the app factory does."""
