"""The store staff pages: pickups at the counter, ship-from-store work and in-store returns,
for an associate at their home store (cs and admin choose a store). Each page reads through
the queries the API reads and each action calls the use case its API endpoint calls, with the
signed-in user's Principal (`core.auth.current_principal()`): the rules live there, once."""

# In this order: it is the order of the navigation bar (each page registers as imported).
# isort: off
from web.store import pickups  # noqa: F401
from web.store import shipping  # noqa: F401
from web.store import returns  # noqa: F401
# isort: on
