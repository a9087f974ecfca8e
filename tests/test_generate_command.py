"""`sessionkeeper generate`: the nightly job by hand, idempotent, with clear errors."""

from __future__ import annotations

import psycopg

from tests.helpers import run_cli


def test_generate_creates_once_and_refuses_bad_ids(db_url):
    env = {"SESSIONKEEPER_DATABASE_URL": db_url}
    with psycopg.connect(db_url, autocommit=True) as conn:
        host = conn.execute("SELECT scheduling.create_person('Coach', NULL, 'Europe/Berlin')").fetchone()[0]
        for rule in ("FREQ=DAILY", "FREQ=WEEKLY;BYDAY=MO"):
            conn.execute(
                "SELECT scheduling.create_template(%s, 'class', %s, current_date + 1, time '09:00', "
                "interval '1 hour', 'Europe/Berlin')",
                (host, rule),
            )
    first = run_cli("generate", "--days", "14", env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("2 template(s), ")
    created = int(first.stdout.split(", ")[1].split()[0])
    assert created >= 14, first.stdout
    second = run_cli("generate", "--days", "14", env=env)
    assert second.stdout.strip() == "2 template(s), 0 session(s) created"

    unknown = run_cli("generate", "--template", "00000000-0000-0000-0000-000000000000", env=env)
    assert unknown.returncode == 1 and "SK022" in unknown.stderr and "Traceback" not in unknown.stderr
    garbage = run_cli("generate", "--template", "nope", env=env)
    assert garbage.returncode == 1 and "is not a template id" in garbage.stderr
