"""How `sessionkeeper run` begins and ends.

* Ctrl-C and SIGTERM stop it cleanly at any moment, exit status 0, the same as the worker (which handles both
  signals itself while it runs). What an interrupted step says on its way out (a cancelled query, a killed pg_ctl)
  is logged as part of the interruption, not raised as an error of its own.
* The embedded database (none when a database URL is set): run stops it at the end if run started it, unless told
  to keep it; one that was running before run keeps running, and run says how to stop it. A second Ctrl-C does not
  cut that shutdown short.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from types import TracebackType

from runner import config, db

SIGNALS = (signal.SIGINT, signal.SIGTERM)
# psycopg warns when it cannot roll back a connection whose query an interruption cut off mid-flight ("another
# command is already in progress"); after Ctrl-C that is the interruption speaking, which run already reports.
PSYCOPG_LOGGERS = ("psycopg", "psycopg.transaction")


class RunLifetime:
    """A context manager around the body of `run`; ``status`` is the exit status an interruption leaves."""

    def __init__(self, log: Callable[[str], None], *, keep_database: bool) -> None:
        self.log = log
        self.keep_database = keep_database
        self.cluster = None if config.external_database_url() else db.local_cluster()
        # Whether run started the cluster decides whether it stops it. ensure_local_database says so; if run is
        # interrupted before that returns, "it was not running before" stands in.
        self.ran_before = self.cluster is not None and self.cluster.running_pid() is not None
        self.started: bool | None = None
        self.interruptions: list[int] = []
        self.status = 0
        self.previous = {signum: signal.getsignal(signum) or signal.SIG_DFL for signum in SIGNALS}
        self.quiet_once_interrupted = _QuietOnceInterrupted(self)

    def database_url(self) -> str:
        """The URL to use: the operator's, or the embedded cluster's, started first when it is not running."""
        if self.cluster is None:
            return db.resolve_url(start_local=True)
        self.started = db.ensure_local_database(self.cluster)
        return self.cluster.url()

    def catch_interruptions(self) -> None:
        """Make SIGINT and SIGTERM interrupt the body (again: asyncio.run restores the defaults when it ends). A
        signal that was ignored when run started stays ignored."""
        for signum, handler in self.previous.items():
            if handler is not signal.SIG_IGN:
                signal.signal(signum, self._interrupted)

    def _interrupted(self, signum: int, frame: object) -> None:
        self.interruptions.append(signum)
        raise KeyboardInterrupt

    def __enter__(self) -> RunLifetime:
        self.catch_interruptions()
        for name in PSYCOPG_LOGGERS:
            logging.getLogger(name).addFilter(self.quiet_once_interrupted)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, problem: BaseException | None, traceback: TracebackType | None
    ) -> bool:
        suppress = False
        if isinstance(problem, KeyboardInterrupt):
            self.log("interrupted")
            suppress = True
        elif isinstance(problem, Exception) and self.interruptions:
            self.log(f"interrupted: {db.first_line(problem)}")
            suppress = True
        for signum in SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        try:
            self._leave_database()
        finally:
            for signum, handler in self.previous.items():
                signal.signal(signum, handler)
            for name in PSYCOPG_LOGGERS:
                logging.getLogger(name).removeFilter(self.quiet_once_interrupted)
        return suppress

    def _leave_database(self) -> None:
        if self.cluster is None:
            return
        ours = self.started if self.started is not None else not self.ran_before
        if ours and not self.keep_database:
            if self.cluster.stop():
                self.log("stopped the embedded database")
        elif self.cluster.running_pid() is not None:
            self.log("the embedded database keeps running: stop it with `sessionkeeper db down`")


class _QuietOnceInterrupted(logging.Filter):
    """Drops psycopg's warnings once run has been interrupted (see PSYCOPG_LOGGERS); lets them through before."""

    def __init__(self, lifetime: RunLifetime) -> None:
        super().__init__()
        self.lifetime = lifetime

    def filter(self, record: logging.LogRecord) -> bool:
        return not self.lifetime.interruptions
