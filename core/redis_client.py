"""One Redis URL, one way to open it: a plain Redis, a managed one over TLS, or a master found
through Redis Sentinel (README, "Redis: Sentinel or a managed Redis").

`OMS_REDIS_URL` takes the forms below; every part of the OMS that talks to Redis (RQ jobs and
`oms worker`, the periodic-slot claims, the coalesced-job flags, the rate-limit counts, /readyz,
the jobs collector of /metrics) opens it through `connect` (or, for the rate limits, hands
`limits` what `limits_storage` derives), so one setting serves them all:

- `redis://[[user]:password@]host[:port][/db]`, `unix:///path/to/socket[?db=N]`: redis-py's
  own forms (`Redis.from_url`).
- `rediss://...`: the same over TLS (a managed Redis); redis-py verifies the server's
  certificate against the system's CAs (`?ssl_cert_reqs=none` turns that off, for a test).
- `redis+sentinel://[[user]:password@]h1:26379,h2:26379/<service-name>[/db]`: ask the
  Sentinels (any that answers) which host is the master of `<service-name>`, and ask again
  when it fails over. The form is the one `limits` (Flask-Limiter's storage) reads; the port
  defaults to 26379, db to 0. The password (and user) are sent to the Sentinels as well as to
  the Redis servers, as `limits` does: give both the same `requirepass`, or neither one.

A URL that is none of these is refused with a ValueError naming the setting it came from, so
a typo stops the process at start, not at the first job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from redis import Redis
from redis.backoff import NoBackoff
from redis.connection import parse_url
from redis.retry import Retry
from redis.sentinel import Sentinel, SentinelManagedConnection

SENTINEL_SCHEME = "redis+sentinel"
SENTINEL_PORT = 26379
PLAIN_SCHEMES = ("redis", "rediss", "unix")


@dataclass(frozen=True)
class SentinelAddress:
    """What a `redis+sentinel://` URL says: where the Sentinels are, which master they
    watch, and what to send that master."""

    sentinels: tuple[tuple[str, int], ...]
    service_name: str
    db: int = 0
    username: str | None = None
    password: str | None = None


def parse_sentinel_url(url: str, setting: str = "OMS_REDIS_URL") -> SentinelAddress:
    """The parts of `redis+sentinel://[[user]:password@]h1[:port],h2[:port]/service[/db]`;
    ValueError naming `setting` for anything else."""

    def refuse(why: str) -> ValueError:
        return ValueError(f"{setting}: {why} (expected redis+sentinel://[:password@]"
                          f"host:26379[,host:26379...]/<service-name>[/db])")

    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() != SENTINEL_SCHEME:
        raise refuse(f"not a {SENTINEL_SCHEME}:// URL")
    if "?" in rest or "#" in rest:
        raise refuse("query strings are not understood in a Sentinel URL")
    netloc, _, path = rest.partition("/")
    auth, at, hosts = netloc.rpartition("@")
    username = password = None
    if at:  # as urllib (and so redis-py and `limits`) reads it: `user:password@`, `:password@`
        user, colon, secret = auth.partition(":")
        username = unquote(user) or None
        password = unquote(secret) if colon and secret else None
    sentinels = tuple(_host_port(item, refuse) for item in hosts.split(","))
    parts = [p for p in path.split("/") if p]
    if not parts:
        raise refuse("no service name (the master's name in sentinel.conf)")
    if len(parts) > 2:
        raise refuse(f"too many path parts in /{path}")
    db = 0
    if len(parts) == 2:
        if not parts[1].isdigit():
            raise refuse(f"the database must be a number, not {parts[1]!r}")
        db = int(parts[1])
    return SentinelAddress(sentinels, unquote(parts[0]), db, username, password)


def _host_port(item: str, refuse: Any) -> tuple[str, int]:
    item = item.strip()
    if item.startswith("["):  # [::1]:26379
        host, _, port = item[1:].partition("]")
        port = port.removeprefix(":")
    else:
        host, _, port = item.rpartition(":") if ":" in item else (item, "", "")
    if not host:
        raise refuse(f"a Sentinel without a host: {item!r}")
    if not port:
        return host, SENTINEL_PORT
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise refuse(f"not a port: {port!r} in {item!r}")
    return host, int(port)


def check_url(url: str, setting: str = "OMS_REDIS_URL") -> None:
    """ValueError naming `setting` unless `url` is one of the forms in this module's doc."""
    scheme = url.partition("://")[0].lower()
    if scheme == SENTINEL_SCHEME:
        parse_sentinel_url(url, setting)
        return
    if scheme not in PLAIN_SCHEMES:
        raise ValueError(f"{setting}: {url.partition('://')[0]!r} is not a Redis URL scheme "
                         f"(redis://, rediss://, unix:// or {SENTINEL_SCHEME}://)")
    try:
        parse_url(url)
    except ValueError as exc:
        raise ValueError(f"{setting}: {exc}") from None
    if scheme != "unix":  # redis-py silently ignores a database that is not a number
        db = url.partition("://")[2].partition("?")[0].partition("/")[2]
        if db and not db.isdigit():
            raise ValueError(f"{setting}: the database must be a number, not {db!r}")


def connect(url: str, *, timeout: float, setting: str = "OMS_REDIS_URL") -> Redis:
    """A client for `url`: `timeout` seconds to connect and for each answer (RQ raises the
    answer's timeout of its own connection above its blocking pops).

    Through Sentinel the client is redis-py's `Sentinel.master_for`: each new connection
    asks the Sentinels for the master's address, and a connection that finds itself on a
    demoted master (READONLY) or cannot reach it is dropped with a ConnectionError, so the
    next command, after the promotion, reaches the new master."""
    check_url(url, setting)
    if url.partition("://")[0].lower() != SENTINEL_SCHEME:
        return Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    address = parse_sentinel_url(url, setting)
    auth = _auth(address)
    sentinel = Sentinel(
        list(address.sentinels),
        sentinel_kwargs=_sentinel_options(
            {"socket_timeout": timeout, "socket_connect_timeout": timeout}, auth),
        socket_timeout=timeout, socket_connect_timeout=timeout, db=address.db,
        connection_class=SentinelMasterConnection, **auth)
    return sentinel.master_for(address.service_name)


def limits_storage(url: str, options: dict[str, Any],
                   setting: str = "OMS_RATE_LIMIT_STORAGE_URL") -> tuple[str, dict[str, Any]]:
    """The storage URI and options to give `limits` for `url` with the socket `options`.
    A plain URL goes as it is. A Sentinel URL goes without its database and password, which
    travel as options: `limits` would read `/service/1` as a service named "service1"."""
    check_url(url, setting)
    if url.partition("://")[0].lower() != SENTINEL_SCHEME:
        return url, dict(options)
    address = parse_sentinel_url(url, setting)
    hosts = ",".join(f"[{h}]:{p}" if ":" in h else f"{h}:{p}" for h, p in address.sentinels)
    return (f"{SENTINEL_SCHEME}://{hosts}/{address.service_name}",
            {**options, "db": address.db, **_auth(address),
             "connection_class": SentinelMasterConnection,
             "sentinel_kwargs": _sentinel_options(options, {})})


def _sentinel_options(options: dict[str, Any], auth: dict[str, str]) -> dict[str, Any]:
    """How to talk to each Sentinel: the socket timeouts of the Redis connection, and no
    retries. redis-py retries a refused connection 10 times with backoff (about 4 s); a
    Sentinel that does not answer should instead cost nothing, the next one is asked at once.
    (The master's connections keep redis-py's retries: those span the seconds a failover
    takes, each asking the Sentinels again.)"""
    return {**options, **auth, "retry": Retry(NoBackoff(), 0)}


def _auth(address: SentinelAddress) -> dict[str, str]:
    auth = {}
    if address.username:
        auth["username"] = address.username
    if address.password:
        auth["password"] = address.password
    return auth



class SentinelMasterConnection(SentinelManagedConnection):
    """redis-py's connection to a master found through Sentinel (redis-py 8.1), with two
    defects of it fixed; both break a worker across a failover, and
    tests/e2e/test_redis_sentinel.py fails without either fix:

    - `read_response` defaults `disconnect_on_error` to False (the fix, redis/redis-py#4292,
      is not released): a read cut short by the socket timeout or by a signal (RQ's warm
      shutdown raises out of its blocking pop) puts the connection back in the pool with
      that answer still on the wire, and the NEXT command on it gets the previous command's
      answer (`ping()` -> the BLPOP's None; RQ's register_death -> "Wrong number of
      response items"). Dropped here, as every other redis-py connection does.
    - A connection whose socket was closed reconnects on its next command to the address it
      had (`send_packed_command` -> `connect_check_health`), not through the Sentinels: RQ's
      pub/sub connection (its worker commands) then knocks at the dead master forever and
      the worker's shutdown fails with "Connection refused". Here it asks the Sentinels
      (`connect`), as the pool's connections do.

    Remove each when redis-py ships its fix."""

    def read_response(self, disable_decoding: bool = False, *,
                      disconnect_on_error: bool | None = True, **kwargs: Any) -> Any:
        return super().read_response(disable_decoding=disable_decoding,
                                     disconnect_on_error=disconnect_on_error, **kwargs)

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        if not self._sock:
            self.connect()
        super().send_packed_command(command, check_health)
