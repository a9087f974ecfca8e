"""Numbers more than one place uses, each named once.

The database's own numbers are repeated here because the CLI and the worker run without asking it first;
tests/test_shared_constants.py checks each against a migrated database:

* ``NAME_CHARS``, ``FREE_TEXT_CHARS``: ``scheduling_internal.text_limit('name')`` and ``('free_text')``, the
  longest error code and error message ``record_reminder_failure`` accepts (longer ones fail with SK034).
* ``DEFAULT_GENERATION_DAYS``: ``scheduling_internal.default_generation_days()``, how far ahead recurring
  templates generate when nobody says otherwise (the nightly job; ``sessionkeeper generate --days``).

The worker's defaults are shared by ``WorkerSettings`` and the ``sessionkeeper worker`` options.
"""

from __future__ import annotations

NAME_CHARS = 200
FREE_TEXT_CHARS = 2000
DEFAULT_GENERATION_DAYS = 30

WORKER_LANES = 4
WORKER_BATCH_SIZE = 50
WORKER_LEASE_SECONDS = 60.0
