"""Run the pgTAP files under tests/pgtap with pg_prove against a freshly migrated database.

It starts a throwaway cluster (the project's own cluster code), migrates one database with
`sessionkeeper migrate`'s engine, creates pgTAP there, installs the shared helpers of
tests/pgtap/setup/helpers.sql (schema `tap`: the tag -> id table tap.ids, tap.sid, tap.tick, ...),
runs pg_prove over the files (all of tests/pgtap/*.sql, or the ones named on the command line),
and removes the cluster. The migration, the helpers and pg_prove all connect as the cluster's
superuser. Each pgTAP file runs in a transaction that it rolls back, so one database serves them
all and no file sees what another wrote. The exit status is pg_prove's.

    .venv/bin/python tests/run_pgtap.py [tests/pgtap/110_bookings.sql ...]
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from runner.db import connect  # noqa: E402
from runner.migrate import Migrator  # noqa: E402
from runner.scratch import scratch_cluster  # noqa: E402

HELPERS = PROJECT / "tests" / "pgtap" / "setup" / "helpers.sql"


def main(argv: list[str]) -> int:
    if argv:
        files = [os.path.relpath(Path(name).resolve(), PROJECT) for name in argv]
    else:
        files = sorted(str(p.relative_to(PROJECT)) for p in (PROJECT / "tests" / "pgtap").glob("*.sql"))
    if not files:
        print("no pgTAP files under tests/pgtap", file=sys.stderr)
        return 1
    with scratch_cluster() as cluster:
        with connect(cluster.url("postgres"), autocommit=True) as admin:
            admin.execute("CREATE DATABASE sessionkeeper_pgtap")
        url = cluster.url("sessionkeeper_pgtap")
        with connect(url, autocommit=True) as conn:
            Migrator(conn, PROJECT, say=lambda line: None).run()
            conn.execute("CREATE EXTENSION IF NOT EXISTS pgtap")
            conn.execute(HELPERS.read_text())
        env = {
            **os.environ,
            "PGHOST": "127.0.0.1",
            "PGPORT": str(cluster.port),
            "PGUSER": "postgres",
            "PGPASSWORD": cluster.password(),
            "PGDATABASE": "sessionkeeper_pgtap",
        }
        return subprocess.run(["pg_prove", "--failures", *files], cwd=PROJECT, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
