"""How long a process waits before reconnecting to a database it lost: 1 s, 2 s, 4 s, then every 5 s.

The worker's lanes and listener, the tick loop, ``watch`` and the dashboard's live feed all survive a database
restart, or a failover to a standby, the same way; this is that one rule. A success resets the wait. Each reconnect
goes through the whole URL again, so with several hosts (and target_session_attrs=read-write) it lands on whichever
host is the primary now. The ceiling is short on purpose: a failover leaves no host writable for about half a minute,
and a longer wait would only add to the outage once the new primary accepts writes (a reconnect attempt costs a
connection, a few per process per outage).
"""

from __future__ import annotations

FIRST_SECONDS = 1.0
MAX_SECONDS = 5.0


class Backoff:
    """The next wait after a failure; ``reset`` after a success."""

    def __init__(self, first: float = FIRST_SECONDS, ceiling: float = MAX_SECONDS) -> None:
        self.first = first
        self.ceiling = ceiling
        self.current = first

    def reset(self) -> None:
        self.current = self.first

    def next(self) -> float:
        """The wait to use now; the one after it is twice as long, up to the ceiling."""
        delay = self.current
        self.current = min(self.current * 2, self.ceiling)
        return delay
