"""Settings for the Jembatan server bench_open311_peer.py starts: production settings, rate limits lifted.

The benchmark measures what a request costs, not how fast the rate limiter refuses: with the default
limits (120 POSTs a minute per key) nearly every POST of a 20-second run at 8 clients would be a 429.
Everything else is jembatan.settings as read from the environment the benchmark sets
(JEMBATAN_ENV=production, DEBUG off, SQLite in a throwaway folder).
"""

from jembatan.settings import *  # noqa: F403

_UNLIMITED = "1000000/min"
API_THROTTLE_RATES = {
    "token": _UNLIMITED,
    "ip": _UNLIMITED,
    "guest_write": _UNLIMITED,
    "open311_key": _UNLIMITED,
    "open311_ip": _UNLIMITED,
}
