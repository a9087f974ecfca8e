"""Upgrades keep data: a database of the first release, with data in it, migrated by the current checkout.

tests/fixtures/upgrade_from_0006.sql is that database (migrations 0001-0006, no roles yet), dumped once by
tests/fixtures/make_upgrade_fixture.py from commit ba3179a (read its docstring to regenerate it). Its data, at fixed
times in 2030 (made by that release's own functions): host Hana; Ben's booking of the scheduled "Group coaching" of
2030-03-10 with a pending reminder; Cleo's cancelled booking there (reminder cancelled, cancellation message failed);
Dan's "Haircut" of 2030-03-02, two reminders sent, completed by tick; Finn's "Shave", cancelled and archived; the
weekly "Evening yoga" template with 8 generated sessions, Eva booked on the first (reminder pending, due 2030-03-04
16:00 UTC); the "Pottery" workshop with run "Spring 2030" of two one-seat days, Gus enrolled in both, Ben waiting
for day 1.

The test loads it with psql, migrates it with the current Migrator, and proves: every row of every old table is
still there, column for column, except exactly what the backfills rewrite (a second run adds sessions the first
release deleted or left delayed: they get the status deleted, and started_at NULL when nobody started them); the
ledger lists every migration on disk; the schema is the one a fresh install gets; and the functions, views and
worker calls work on the old rows.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from runner.migrate import Migrator, read_migrations
from tests.helpers import PROJECT, psql_program, run_cli

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "upgrade_from_0006.sql"
FIXTURE_VERSION = 6  # the newest migration in the fixture's ledger
# The migrations the upgrade from the first release runs: at least these, then whatever came after them.
FIRST_UPGRADE_MIGRATIONS = [
    "migrations/0007_roles.sql",
    "migrations/0008_delivery_and_replies.sql",
    "migrations/0009_ledger_owner.sql",
]
OLD_SCHEMAS = ("scheduling", "sessionkeeper_meta")
# Rewritten by design on every migrate that changes sql/: the checksums of the repeatable files.
REWRITTEN_TABLES = {"sessionkeeper_meta.repeatables"}
LEDGER = "sessionkeeper_meta.migrations"
# Message texts 0034 ships (a cancelled workshop seat, a cancelled class): the only rows an upgrade adds. (0034 also
# makes queued waitlist messages kind waitlist; the first release's fixture holds none.)
SHIPPED_TEXTS = {"workshop_seat_cancelled", "class_cancelled"}
# A generous bound: migrating the fixture takes well under a second.
UPGRADE_SECONDS_LIMIT = 60


def load_fixture(url: str) -> None:
    result = subprocess.run(
        [psql_program(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-d", url, "-f", str(FIXTURE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"loading {FIXTURE.name} failed:\n{result.stderr}"


def connect(url: str) -> psycopg.Connection:
    conn = psycopg.connect(url, autocommit=True)
    conn.execute("SET TimeZone = 'UTC'")
    return conn


def old_tables(conn: psycopg.Connection) -> dict[str, list[str]]:
    """Every base table of the old schemas with its columns, in order."""
    tables: dict[str, list[str]] = {}
    for table, column in conn.execute(
        """
        SELECT quote_ident(c.table_schema) || '.' || quote_ident(c.table_name), quote_ident(c.column_name)
        FROM information_schema.columns AS c
        JOIN information_schema.tables AS t USING (table_schema, table_name)
        WHERE c.table_schema = ANY (%s) AND t.table_type = 'BASE TABLE'
        ORDER BY 1, c.ordinal_position
        """,
        (list(OLD_SCHEMAS),),
    ):
        tables.setdefault(table, []).append(column)
    return tables


def rows_of(conn: psycopg.Connection, tables: dict[str, list[str]]) -> dict[str, list[str]]:
    """Each table's rows (only the given columns) as sorted JSON texts: a comparison of every value."""
    return {
        table: [
            row[0]
            for row in conn.execute(
                f"SELECT to_jsonb(t)::text FROM (SELECT {', '.join(columns)} FROM {table}) AS t ORDER BY 1"
            )
        ]
        for table, columns in tables.items()
    }


def without_shipped_texts(table: str, rows: list[str]) -> list[str]:
    if table != "scheduling.message_templates":
        return rows
    return [row for row in rows if json.loads(row)["name"] not in SHIPPED_TEXTS]


def summary(conn: psycopg.Connection) -> dict[str, dict]:
    """The rows the brief names, keyed by id: sessions (status, times), bookings (status), reminders (state, due)."""
    return {
        "sessions": {
            str(i): (title, status, str(starts), str(ends))
            for i, title, status, starts, ends in conn.execute(
                "SELECT id, title, status::text, starts_at, ends_at FROM scheduling.sessions"
            )
        },
        "bookings": {
            str(i): (str(session), str(person), status)
            for i, session, person, status in conn.execute(
                "SELECT id, session_id, person_id, status::text FROM scheduling.bookings"
            )
        },
        "reminders": {
            str(i): (key, kind, state, str(due), str(next_at))
            for i, key, kind, state, due, next_at in conn.execute(
                "SELECT id, reminder_key, kind::text, state::text, due_at, next_attempt_at FROM scheduling.reminders"
            )
        },
        "archived_reminders": {
            str(i): (state, str(archived))
            for i, state, archived in conn.execute(
                "SELECT id, state::text, archived_at FROM scheduling.reminders_archive"
            )
        },
    }


def schema_of(conn: psycopg.Connection) -> dict[str, set[tuple]]:
    """What a database's schemas scheduling and scheduling_internal are made of, comparable between two databases."""
    queries = {
        "columns": """
            SELECT c.relname, a.attname,
                   row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum) AS position,
                   format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity
            FROM pg_class AS c
            JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            LEFT JOIN pg_attrdef AS d ON d.adrelid = c.oid AND d.adnum = a.attnum
            WHERE c.relnamespace = 'scheduling'::regnamespace AND c.relkind IN ('r', 'p', 'v')""",
        "relations": """
            SELECT c.relname, c.relkind::text, pg_get_userbyid(c.relowner), coalesce(c.relacl::text, ''),
                   coalesce(obj_description(c.oid, 'pg_class'), '')
            FROM pg_class AS c WHERE c.relnamespace = 'scheduling'::regnamespace""",
        "constraints": """
            SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
            FROM pg_constraint WHERE connamespace = 'scheduling'::regnamespace""",
        "indexes": "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'scheduling'",
        "views": """
            SELECT c.relname, pg_get_viewdef(c.oid)
            FROM pg_class AS c WHERE c.relnamespace = 'scheduling'::regnamespace AND c.relkind = 'v'""",
        "triggers": """
            SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid)
            FROM pg_trigger WHERE NOT tgisinternal AND tgrelid IN (
                SELECT oid FROM pg_class WHERE relnamespace = 'scheduling'::regnamespace)""",
        "routines": """
            SELECT p.oid::regprocedure::text, pg_get_userbyid(p.proowner), p.prosecdef, p.provolatile::text,
                   coalesce(p.proconfig::text, ''), coalesce(p.proacl::text, ''), md5(p.prosrc),
                   coalesce(obj_description(p.oid, 'pg_proc'), '')
            FROM pg_proc AS p
            WHERE p.pronamespace IN ('scheduling'::regnamespace, 'scheduling_internal'::regnamespace)""",
        "types": """
            SELECT t.typname, pg_get_userbyid(t.typowner), coalesce(t.typacl::text, ''),
                   coalesce((SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
                             FROM pg_enum AS e WHERE e.enumtypid = t.oid), '')
            FROM pg_type AS t WHERE t.typnamespace = 'scheduling'::regnamespace AND t.typtype IN ('e', 'd', 'c')
              AND NOT EXISTS (SELECT FROM pg_class AS c WHERE c.oid = t.typrelid AND c.relkind <> 'c')""",
        "schemas": """
            SELECT nspname, pg_get_userbyid(nspowner), coalesce(nspacl::text, '')
            FROM pg_namespace WHERE nspname = ANY (ARRAY['scheduling', 'scheduling_internal', 'sessionkeeper_meta'])""",
    }
    return {name: {tuple(row) for row in conn.execute(sql)} for name, sql in queries.items()}


def ids_by_name(conn: psycopg.Connection) -> dict[str, str]:
    """The fixture's rows the checks act on, found by what they are rather than by id."""
    found = conn.execute(
        """
        SELECT
            (SELECT id FROM scheduling.people WHERE full_name = 'Ben Booked'),
            (SELECT id FROM scheduling.people WHERE full_name = 'Eva Yoga'),
            (SELECT id FROM scheduling.people WHERE full_name = 'Gus Workshop'),
            (SELECT id FROM scheduling.people WHERE full_name = 'Dan Done'),
            (SELECT id FROM scheduling.sessions WHERE title = 'Group coaching'),
            (SELECT id FROM scheduling.sessions WHERE title = 'Evening yoga' AND occurrence_date = '2030-03-04'),
            (SELECT id FROM scheduling.sessions WHERE title = 'Haircut'),
            (SELECT id FROM scheduling.sessions WHERE title = 'Pottery' AND day_number = 1),
            (SELECT id FROM scheduling.session_templates WHERE title = 'Evening yoga')
        """
    ).fetchone()
    names = ("ben", "eva", "gus", "dan", "coaching", "yoga_first", "haircut", "pottery_day_1", "yoga_template")
    assert found is not None and None not in found, dict(zip(names, found or (), strict=False))
    ids = dict(zip(names, (str(value) for value in found), strict=True))
    bookings = dict(
        conn.execute(
            """
            SELECT CASE b.person_id WHEN %(ben)s THEN 'ben_coaching' WHEN %(gus)s THEN 'gus_pottery_1' END, b.id::text
            FROM scheduling.bookings AS b
            WHERE (b.person_id, b.session_id) IN ((%(ben)s, %(coaching)s), (%(gus)s, %(pottery_day_1)s))
            """,
            ids,
        ).fetchall()
    )
    return {**ids, **bookings}


def reminders_of_booking(conn: psycopg.Connection, booking_id: str) -> dict[str, str]:
    return dict(
        conn.execute(
            "SELECT reminder_key, state::text FROM scheduling.reminders WHERE booking_id = %s", (booking_id,)
        ).fetchall()
    )


def upgrade(empty_db_url: str, prepare: Callable[[psycopg.Connection], None] | None = None) -> dict:
    """The fixture loaded (then `prepare`d), snapshotted, and migrated by the current checkout; before and after."""
    load_fixture(empty_db_url)
    with connect(empty_db_url) as conn:
        if prepare is not None:
            prepare(conn)
        assert conn.execute(f"SELECT max(version) FROM {LEDGER}").fetchone()[0] == FIXTURE_VERSION
        assert conn.execute(
            "SELECT to_regrole('sessionkeeper_owner') IS NULL OR NOT EXISTS (SELECT FROM pg_namespace "
            "WHERE nspname = 'scheduling' AND nspowner = to_regrole('sessionkeeper_owner'))"
        ).fetchone()[0]
        tables = old_tables(conn)
        before = rows_of(conn, tables)
        before_summary = summary(conn)
        said: list[str] = []
        started = time.monotonic()
        outcome = Migrator(conn, PROJECT, say=said.append).run()
        seconds = time.monotonic() - started
        after = rows_of(conn, tables)
        after_summary = summary(conn)
        new_tables = sorted(set(old_tables(conn)) - set(tables))
    print(f"upgrade from {FIXTURE.name}: {seconds:.3f} s; " + "; ".join(said))
    return {
        "url": empty_db_url,
        "tables": tables,
        "before": before,
        "after": after,
        "before_summary": before_summary,
        "after_summary": after_summary,
        "outcome": outcome,
        "seconds": seconds,
        "said": said,
        "new_tables": new_tables,
    }


@pytest.fixture
def upgraded(empty_db_url: str) -> dict:
    return upgrade(empty_db_url)


# Sessions the first release deleted or left delayed, made by its own functions at fixed times in 2030: the rows the
# backfills of 0013 (status deleted) and 0014 (started_at only for a real start) rewrite.
OLD_DELETED_AND_DELAYED = """
WITH host AS (SELECT host_id AS id FROM scheduling.sessions WHERE title = 'Haircut')
SELECT
    scheduling.create_session(host.id, 'Deleted class', '2030-03-20 10:00Z', '2030-03-20 11:00Z',
        p_now => '2030-03-02 14:00Z'),
    scheduling.create_session(host.id, 'Cancelled then deleted', '2030-03-21 10:00Z', '2030-03-21 11:00Z',
        p_now => '2030-03-02 14:00Z'),
    scheduling.create_session(host.id, 'Nobody came', '2030-03-03 10:00Z', '2030-03-03 11:00Z',
        p_start_mode => 'host_started', p_now => '2030-03-02 14:00Z'),
    scheduling.create_session(host.id, 'Nobody came, deleted', '2030-03-03 10:00Z', '2030-03-03 11:00Z',
        p_start_mode => 'host_started', p_now => '2030-03-02 14:00Z')
FROM host
"""


def add_deleted_and_delayed_sessions(conn: psycopg.Connection) -> None:
    deleted, cancelled, _delayed, delayed_deleted = conn.execute(OLD_DELETED_AND_DELAYED).fetchone()
    conn.execute("SELECT scheduling.delete_session(%s, 'duplicate', 'hana', '2030-03-02 15:00Z')", (deleted,))
    conn.execute("SELECT scheduling.cancel_session(%s, 'ill', 'hana', '2030-03-02 15:00Z')", (cancelled,))
    conn.execute("SELECT scheduling.delete_session(%s, 'cleanup', 'hana', '2030-03-02 16:00Z')", (cancelled,))
    conn.execute("SELECT scheduling.tick('2030-03-03 10:05Z')")
    conn.execute("SELECT scheduling.delete_session(%s, 'no-shows', 'hana', '2030-03-03 12:00Z')", (delayed_deleted,))


@pytest.fixture
def upgraded_with_deleted_and_delayed(empty_db_url: str) -> dict:
    return upgrade(empty_db_url, add_deleted_and_delayed_sessions)


def test_upgrade_applies_every_later_migration_and_records_it(upgraded: dict, record_property) -> None:
    on_disk = read_migrations(PROJECT)
    later = [m.relpath for m in on_disk if m.version > FIXTURE_VERSION]
    outcome = upgraded["outcome"]
    record_property("upgrade_seconds", round(upgraded["seconds"], 3))
    record_property("upgrade_applied", " ".join(outcome.applied))
    assert outcome.applied == later
    assert later[: len(FIRST_UPGRADE_MIGRATIONS)] == FIRST_UPGRADE_MIGRATIONS
    assert outcome.reapplied, "a migrate that ran migrations re-applies sql/"
    assert {"scheduling.provider_events", "scheduling.inbound_messages"} <= set(upgraded["new_tables"])
    assert upgraded["seconds"] < UPGRADE_SECONDS_LIMIT, upgraded["said"]
    on_disk_by_version = {m.version: m for m in on_disk}
    with connect(upgraded["url"]) as conn:
        ledger = {
            version: (filename, checksum)
            for version, filename, checksum in conn.execute(f"SELECT version, filename, checksum FROM {LEDGER}")
        }
        # A second run finds nothing to do.
        again = Migrator(conn, PROJECT, say=lambda line: None).run()
    # The ledger keeps the wording each migration was applied with: the fixture's database applied the
    # first wording of those migrations whose comments were reworded later (migrations/reworded.txt).
    assert set(ledger) == {m.version for m in on_disk}
    for migration in on_disk:
        filename, checksum = ledger[migration.version]
        assert filename == migration.relpath
        assert migration.recorded_as_applied(checksum), migration.relpath
    assert {v for v, (_f, checksum) in ledger.items() if checksum != on_disk_by_version[v].checksum} == {2, 3, 4, 5, 6}
    assert (again.applied, again.reapplied) == ([], [])


def test_upgrade_keeps_every_row(upgraded: dict) -> None:
    before, after = upgraded["before"], upgraded["after"]
    assert before["scheduling.reminders"] and before["scheduling.reminders_archive"], "the fixture has data"
    for table in upgraded["tables"]:
        if table in REWRITTEN_TABLES:
            continue
        if table == LEDGER:
            assert set(before[table]) <= set(after[table]), "the old ledger rows stay as they were"
            continue
        kept = without_shipped_texts(table, after[table])
        assert len(kept) == len(before[table]), f"{table}: {len(before[table])} rows before"
        assert kept == before[table], f"{table}: a value changed"
    added = {json.loads(row)["name"] for row in after["scheduling.message_templates"]} - {
        json.loads(row)["name"] for row in before["scheduling.message_templates"]
    }
    assert added == SHIPPED_TEXTS
    # The same thing, said as the brief says it: the same ids, statuses and due times.
    assert upgraded["after_summary"] == upgraded["before_summary"]
    states = {state for _, _, state, _, _ in upgraded["before_summary"]["reminders"].values()}
    assert states >= {"pending", "sent", "failed", "cancelled"}
    statuses = {status for _, status, _, _ in upgraded["before_summary"]["sessions"].values()}
    assert statuses >= {"scheduled", "completed"}


def test_upgrade_backfills_exactly_the_deleted_and_delayed_sessions(upgraded_with_deleted_and_delayed: dict) -> None:
    """0013 and 0014 rewrite exactly these columns of these rows, and nothing else: no history, no updated_at."""
    before, after = upgraded_with_deleted_and_delayed["before"], upgraded_with_deleted_and_delayed["after"]
    sessions = "scheduling.sessions"
    by_title_before = {row["title"]: row for row in map(json.loads, before[sessions])}
    expected = {
        "Deleted class": {"status": "deleted"},
        "Cancelled then deleted": {"status": "deleted"},
        "Nobody came": {"started_at": None},
        "Nobody came, deleted": {"status": "deleted", "started_at": None},
    }
    assert {title: by_title_before[title]["status"] for title in expected} == {
        "Deleted class": "scheduled",
        "Cancelled then deleted": "cancelled",
        "Nobody came": "in_progress",
        "Nobody came, deleted": "in_progress",
    }, "the first release kept the status of a deleted session"
    assert by_title_before["Nobody came"]["started_at"] == "2030-03-03T10:00:00+00:00"
    wanted = sorted(
        json.dumps({**row, **expected.get(row["title"], {})}, sort_keys=True)
        for row in map(json.loads, before[sessions])
    )
    assert sorted(json.dumps(json.loads(row), sort_keys=True) for row in after[sessions]) == wanted
    for table in upgraded_with_deleted_and_delayed["tables"]:
        if table not in REWRITTEN_TABLES | {LEDGER, sessions}:
            assert without_shipped_texts(table, after[table]) == before[table], f"{table}: a value changed"
    with connect(upgraded_with_deleted_and_delayed["url"]) as conn:
        new_columns = {
            title: (deleted_from, delayed_since)
            for title, deleted_from, delayed_since in conn.execute(
                "SELECT title, deleted_from_status::text, delayed_since FROM scheduling.sessions WHERE title = ANY(%s)",
                (list(expected),),
            )
        }
        actions = conn.execute(
            "SELECT s.title, h.action FROM scheduling.session_status_history AS h "
            "JOIN scheduling.sessions AS s ON s.id = h.session_id "
            "WHERE s.title = 'Cancelled then deleted' ORDER BY h.id"
        ).fetchall()
    delayed_at = datetime(2030, 3, 3, 10, 0, tzinfo=UTC)
    assert new_columns == {
        "Deleted class": ("scheduled", None),
        "Cancelled then deleted": ("cancelled", None),
        "Nobody came": (None, delayed_at),
        "Nobody came, deleted": ("in_progress", delayed_at),
    }
    # The history rows are the old ones; their action is read from them, the old deletion by its detail.
    assert [action for _, action in actions] == ["created", "cancelled", "deleted"]


def test_upgraded_schema_is_a_fresh_install(upgraded: dict, db_url: str) -> None:
    with connect(upgraded["url"]) as conn:
        old = schema_of(conn)
        owners = conn.execute(
            "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class WHERE relnamespace = ANY (%s::regnamespace[])",
            (list(OLD_SCHEMAS),),
        ).fetchall()
    with connect(db_url) as conn:
        fresh = schema_of(conn)
    assert owners == [("sessionkeeper_owner",)], "0007 and 0009 hand every old table to the owner role"
    for part in fresh:
        assert old[part] == fresh[part], (
            f"{part}: only after the upgrade {sorted(old[part] - fresh[part])[:5]}, "
            f"only in a fresh install {sorted(fresh[part] - old[part])[:5]}"
        )


def test_views_show_the_old_rows(upgraded: dict) -> None:
    before = upgraded["before_summary"]
    with connect(upgraded["url"]) as conn:
        status = {
            key: (state, str(due))
            for key, state, due in conn.execute(
                "SELECT reminder_key, state::text, due_at FROM scheduling.reminder_status"
            )
        }
        stats = conn.execute(
            "SELECT waiting + delayed, active, completed, failed, cancelled, skipped, expired "
            "FROM scheduling.queue_stats"
        ).fetchone()
        available = {
            str(session_id): (workshop, run, day, seats_left, waitlisted)
            for session_id, workshop, run, day, seats_left, waitlisted in conn.execute(
                "SELECT session_id, workshop_title, run_name, day_number, seats_left, waitlisted "
                "FROM scheduling.session_availability"
            )
        }
    assert status == {key: (state, due) for key, _, state, due, _ in before["reminders"].values()}
    states = [state for _, _, state, _, _ in before["reminders"].values()]
    assert stats == tuple(
        states.count(state) for state in ("pending", "leased", "sent", "failed", "cancelled", "skipped", "expired")
    )
    assert set(available) == set(before["sessions"])
    pottery = [row for row in available.values() if row[0] == "Pottery"]
    assert sorted(pottery) == [("Pottery", "Spring 2030", 1, 0, 1), ("Pottery", "Spring 2030", 2, 0, 0)]


def test_functions_work_on_the_old_rows(upgraded: dict) -> None:
    with connect(upgraded["url"]) as conn:
        ids = ids_by_name(conn)
        old_reminders = upgraded["before_summary"]["reminders"]

        # The worker: the old reminder due at 16:00 (Eva's, for the first yoga session) is handed out at 16:30.
        claimed = conn.execute(
            "SELECT reminder_id, attempt_token, kind, due_at, recipient_phone, rendered_text "
            "FROM scheduling.claim_due_reminders('upgrade-test', 10, '60 seconds', '2030-03-04 16:30+00')"
        ).fetchall()
        assert len(claimed) == 1, claimed
        reminder_id, token, kind, due_at, phone, text = claimed[0]
        assert str(reminder_id) in old_reminders
        assert old_reminders[str(reminder_id)][2] == "pending"
        assert (kind, str(due_at), phone) == ("reminder", "2030-03-04 16:00:00+00:00", "+4915100000005")
        assert "Evening yoga" in text
        sent = conn.execute(
            "SELECT scheduling.record_reminder_sent(%s, %s, 'wamid.after-upgrade', '2030-03-04 16:30:01+00')::text",
            (reminder_id, token),
        ).fetchone()[0]
        assert sent == "sent"

        # Delivery reports (migration 0008) reach a reminder sent before the upgrade and one sent after it.
        old_sent = conn.execute(
            "SELECT provider_message_id FROM scheduling.reminders WHERE person_id = %s AND state = 'sent' "
            "ORDER BY sent_at LIMIT 1",
            (ids["dan"],),
        ).fetchone()[0]
        for message_id in (old_sent, "wamid.after-upgrade"):
            outcome = conn.execute(
                "SELECT scheduling.record_delivery_status('whatsapp', %s, 'delivered', NULL, NULL, NULL, "
                "'2030-03-04 17:00+00')",
                (message_id,),
            ).fetchone()[0]
            assert outcome == "applied", message_id
        assert (
            conn.execute("SELECT count(*) FROM scheduling.reminders WHERE delivery_status = 'delivered'").fetchone()[0]
            == 2
        )

        # tick starts the old scheduled session at its start and completes it at its end.
        first = conn.execute("SELECT scheduling.tick('2030-03-04 17:30+00')").fetchone()[0]
        assert first["started"] == 1, first
        assert session_status(conn, ids["yoga_first"]) == "in_progress"
        second = conn.execute("SELECT scheduling.tick('2030-03-04 18:30+00')").fetchone()[0]
        assert second["completed"] == 1, second
        assert session_status(conn, ids["yoga_first"]) == "completed"
        assert session_status(conn, ids["coaching"]) == "scheduled"

        # Cancelling the old booking cancels its pending reminder and queues the cancellation message.
        assert set(reminders_of_booking(conn, ids["ben_coaching"]).values()) == {"pending"}
        conn.execute(
            "SELECT scheduling.cancel_booking(%s, 'after the upgrade', 'upgrade-test', '2030-03-05 09:00+00')",
            (ids["ben_coaching"],),
        )
        after_cancel = reminders_of_booking(conn, ids["ben_coaching"])
        assert {key: state for key, state in after_cancel.items() if "-reminder-" in key} == {
            f"{ids['ben_coaching']}-reminder-1": "cancelled"
        }
        assert [state for key, state in after_cancel.items() if "-cancellation-" in key] == ["pending"]

        # Gus cancels day 1 of the workshop: Ben, waiting since before the upgrade, gets the seat.
        conn.execute(
            "SELECT scheduling.cancel_booking(%s, 'after the upgrade', 'upgrade-test', '2030-03-05 10:00+00')",
            (ids["gus_pottery_1"],),
        )
        assert set(reminders_of_booking(conn, ids["gus_pottery_1"]).values()) >= {"cancelled"}
        waitlist = conn.execute(
            "SELECT status::text, booking_id IS NOT NULL FROM scheduling.waitlist_entries WHERE person_id = %s",
            (ids["ben"],),
        ).fetchall()
        assert waitlist == [("promoted", True)]
        promoted = conn.execute(
            "SELECT b.status::text, count(r.*) FILTER (WHERE r.state = 'pending') "
            "FROM scheduling.bookings AS b LEFT JOIN scheduling.reminders AS r ON r.booking_id = b.id "
            "WHERE b.person_id = %s AND b.session_id = %s GROUP BY b.status",
            (ids["ben"], ids["pottery_day_1"]),
        ).fetchall()
        assert promoted and promoted[0][0] == "confirmed" and promoted[0][1] >= 1, promoted

        # The old template generates further ahead without duplicating the old occurrences.
        old_yoga = dict(
            conn.execute(
                "SELECT occurrence_date, id FROM scheduling.sessions WHERE template_id = %s", (ids["yoga_template"],)
            ).fetchall()
        )
        conn.execute(
            "SELECT count(*) FROM scheduling.generate_recurring_sessions(%s, 30, '2030-03-05 09:00+00')",
            (ids["yoga_template"],),
        )
        new_yoga = dict(
            conn.execute(
                "SELECT occurrence_date, id FROM scheduling.sessions WHERE template_id = %s", (ids["yoga_template"],)
            ).fetchall()
        )
        assert {day: new_yoga[day] for day in old_yoga} == old_yoga
        assert len(new_yoga) > len(old_yoga)

        # The queue counts what happened.
        stats = conn.execute("SELECT completed, cancelled FROM scheduling.queue_stats").fetchone()
        states = [state for _, _, state, _, _ in old_reminders.values()]
        assert stats[0] == states.count("sent") + 1
        assert stats[1] >= states.count("cancelled") + 2


def session_status(conn: psycopg.Connection, session_id: str) -> str:
    return conn.execute("SELECT status::text FROM scheduling.sessions WHERE id = %s", (session_id,)).fetchone()[0]


def test_cli_migrate_upgrades_the_first_release(empty_db_url: str) -> None:
    load_fixture(empty_db_url)
    result = run_cli("migrate", env={"SESSIONKEEPER_DATABASE_URL": empty_db_url})
    assert result.returncode == 0, result.stderr
    with connect(empty_db_url) as conn:
        versions = [row[0] for row in conn.execute(f"SELECT version FROM {LEDGER} ORDER BY version")]
    assert versions == [m.version for m in read_migrations(PROJECT)]


# Two live sessions of the first release's host at the same time: what a host could have before a host was in one
# session at a time.
OLD_DOUBLE_BOOKING = """
WITH host AS (SELECT host_id AS id FROM scheduling.sessions WHERE title = 'Haircut')
SELECT
    scheduling.create_session(host.id, 'Early call', '2030-04-01 10:00Z', '2030-04-01 11:00Z',
        p_now => '2030-03-02 14:00Z'),
    scheduling.create_session(host.id, 'Clashing call', '2030-04-01 10:30Z', '2030-04-01 11:30Z',
        p_now => '2030-03-02 14:00Z')
FROM host
"""


def test_overlapping_sessions_stop_the_upgrade_until_one_is_cancelled(empty_db_url: str) -> None:
    """The migration that adds the rule names the session that clashes and changes nothing; cancelled, it goes on."""
    load_fixture(empty_db_url)
    with connect(empty_db_url) as conn:
        _early, clashing = conn.execute(OLD_DOUBLE_BOOKING).fetchone()
    refused = run_cli("migrate", env={"SESSIONKEEPER_DATABASE_URL": empty_db_url})
    assert refused.returncode != 0
    assert "0036_host_time_never_overlaps.sql" in refused.stderr
    assert "[SQLSTATE SK059]" in refused.stderr
    assert f"session {clashing} (2030-04-01" in refused.stderr
    assert "Traceback" not in refused.stderr
    with connect(empty_db_url) as conn:
        newest = conn.execute(f"SELECT max(version) FROM {LEDGER}").fetchone()[0]
        constraint = conn.execute(
            "SELECT count(*) FROM pg_constraint WHERE conname = 'sessions_host_time_never_overlaps'"
        ).fetchone()[0]
        assert (newest, constraint) == (35, 0)
        conn.execute(
            "UPDATE scheduling.sessions SET status = 'cancelled', cancelled_at = '2030-03-02 15:00Z' WHERE id = %s",
            (clashing,),
        )
    finished = run_cli("migrate", env={"SESSIONKEEPER_DATABASE_URL": empty_db_url})
    assert finished.returncode == 0, finished.stderr
    with connect(empty_db_url) as conn:
        assert conn.execute(f"SELECT max(version) FROM {LEDGER}").fetchone()[0] == max(
            m.version for m in read_migrations(PROJECT)
        )
