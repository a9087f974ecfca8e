"""The one exception type the CLI turns into a single readable line and a non-zero exit."""

from __future__ import annotations


class SessionkeeperError(Exception):
    """An error meant for a person: its message is the whole story, no traceback needed."""

    exit_code = 1


class NotRunning(SessionkeeperError):
    """The embedded cluster is not running (exit status 3, as pg_ctl status uses)."""

    exit_code = 3
