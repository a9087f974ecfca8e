"""scheduling.preview and the commands that print it: it writes nothing, and it says what really happens.

The database holds, at 2031-03-01 10:30 UTC (AT): sessions due to start, to complete, a whole slot missed, a
host-started session that would be delayed and one already delayed (which tick leaves alone), reminders that
the claim would lease, skip and expire, and a weekly template with nothing generated yet.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import psycopg
import pytest

from runner.timeparse import parse_time
from tests.helpers import fingerprint, run_cli

AT = "2031-03-01T10:30:00+00:00"
SETUP_NOW = "2031-02-01 00:00Z"
# Every listened channel of the project: preview must send on none of them.
CHANNELS = ("scheduling_session_status", "scheduling_reminders_due")
# Writing functions may refuse a p_now far in the future unless this setting is on: the data below is written
# at 2031 times on purpose (harmless where no such guard exists). preview itself never needs it.
SIMULATED = "-c sessionkeeper.simulated_time=on"


def _build(conn: psycopg.Connection) -> dict[str, str]:
    ids: dict[str, str] = {}

    def one(name: str, query: str, *params: object, **named: object) -> str:
        ids[name] = str(conn.execute(query, named or params).fetchone()[0])
        return ids[name]

    host = one("host", "SELECT scheduling.create_person('Hana Host', '+4915100000001', 'Europe/Berlin', true)")
    for name, phone, consent in (
        ("ann", "+4915100000002", True),
        ("bob", None, True),  # consents, has no phone: planned pending, skipped by the claim's re-check
        ("cy", "+4915100000004", True),
    ):
        one(name, "SELECT scheduling.create_person(%s, %s, 'Europe/Berlin', %s)", name.title(), phone, consent)

    def session(name: str, start: str, end: str, mode: str = "automatic") -> str:
        """A session of Hana, or of a colleague when Hana is busy then (a host is in one session at a time)."""
        return one(
            name,
            "SELECT scheduling.create_session(CASE WHEN EXISTS (SELECT FROM scheduling.sessions AS s"
            " WHERE s.host_id = %(host)s AND s.status IN ('scheduled', 'in_progress', 'completed')"
            " AND s.starts_at < %(end)s AND %(start)s < s.ends_at)"
            " THEN scheduling.create_person('Colleague of Hana', NULL, 'Europe/Berlin') ELSE %(host)s END,"
            " %(title)s, %(start)s, %(end)s, 'UTC', %(mode)s, p_capacity => 5, p_now => %(now)s)",
            host=host,
            title=name.title(),
            start=start,
            end=end,
            mode=mode,
            now=SETUP_NOW,
        )

    session("running", "2031-03-01 09:00Z", "2031-03-01 10:00Z")  # in progress at 09:30, completes by AT
    session("early_hosted", "2031-03-01 08:00Z", "2031-03-01 09:00Z", "host_started")  # delayed at 09:30: stays
    conn.execute("SELECT scheduling.tick('2031-03-01 09:30Z')")
    session("auto", "2031-03-01 10:00Z", "2031-03-01 11:00Z")  # starts
    session("missed", "2031-03-01 08:00Z", "2031-03-01 08:30Z")  # two steps
    session("hosted", "2031-03-01 10:15Z", "2031-03-01 12:00Z", "host_started")  # delayed
    session("later", "2031-03-01 11:15Z", "2031-03-01 12:00Z")  # not due; its reminders are
    session("tomorrow", "2031-03-02 10:00Z", "2031-03-02 11:00Z")  # nothing due at all
    # The default policy: one reminder an hour before the start, deadline the start. One due per person, so
    # that recipient pacing does not hold any back.
    for booking, where, who in (
        ("ann_later", "later", "ann"),
        ("bob_later", "later", "bob"),
        ("cy_auto", "auto", "cy"),
    ):
        one(booking, "SELECT scheduling.create_booking(%s, %s, p_now => %s)", ids[where], ids[who], SETUP_NOW)
    one(
        "yoga",
        "SELECT scheduling.create_template(%s, 'Yoga', 'FREQ=WEEKLY;BYDAY=TU', '2031-03-01', '09:00', '1 hour', "
        "'Europe/Berlin', p_now => %s)",
        host,
        SETUP_NOW,
    )
    return ids


@pytest.fixture
def world(db_url: str) -> tuple[str, dict[str, str]]:
    with psycopg.connect(db_url, autocommit=True, options=SIMULATED) as conn:
        return db_url, _build(conn)


def _preview(conn: psycopg.Connection, at: str = AT) -> list[tuple]:
    return conn.execute(
        "SELECT kind, id::text, from_state, to_state, is_delayed, booking_id::text, occurrence_date "
        "FROM scheduling.preview(%s)",
        (at,),
    ).fetchall()


def test_preview_writes_nothing(world) -> None:
    url, _ids = world
    env = {"SESSIONKEEPER_DATABASE_URL": url}
    with psycopg.connect(url, autocommit=True) as conn, psycopg.connect(url, autocommit=True) as listener:
        for channel in CHANNELS:
            listener.execute(f"LISTEN {channel}")
        before = fingerprint(conn)

        rows = _preview(conn)
        assert {row[0] for row in rows} == {"session", "reminder", "generated"}, rows
        assert {row[3] for row in rows if row[0] == "reminder"} == {"leased", "skipped", "expired"}
        for args in (("preview", "--at", AT), ("preview", "--at", AT, "--json"), ("tick", "--now", AT, "--dry-run")):
            result = run_cli(*args, env=env)
            assert result.returncode == 0, (args, result.stderr)

        assert fingerprint(conn) == before
        assert list(listener.notifies(timeout=0.5)) == []

        # The fingerprint sees a real tick (the same command without --dry-run): the check above could fail.
        ticked = run_cli("tick", "--now", AT, env={**env, "PGOPTIONS": SIMULATED})
        assert ticked.returncode == 0, ticked.stderr
        assert fingerprint(conn) != before


def test_preview_agrees_with_tick_the_claim_and_generation(world) -> None:
    url, ids = world
    with psycopg.connect(url) as conn:  # one transaction, rolled back
        # Time in the future is allowed for this what-if (harmless where no such guard exists).
        conn.execute("SET LOCAL sessionkeeper.simulated_time = on")
        rows = conn.execute("SELECT * FROM scheduling.preview(%s)", (AT,)).fetchall()
        names = [column.name for column in conn.execute("SELECT * FROM scheduling.preview(%s)", (AT,)).description]
        preview = [dict(zip(names, row, strict=True)) for row in rows]
        last_history = conn.execute("SELECT coalesce(max(id), 0) FROM scheduling.session_status_history").fetchone()[0]

        claimed = {
            str(row[0])
            for row in conn.execute(
                "SELECT reminder_id FROM scheduling.claim_due_reminders('w', 1000, '60 s', %s)", (AT,)
            )
        }
        conn.execute("SELECT scheduling.tick(%s)", (AT,))
        conn.execute("SELECT count(*) FROM scheduling.auto_close_expired_sessions(%s)", (AT,))
        conn.execute("SELECT scheduling.generate_all_recurring_sessions(30, %s)", (AT,))

        moved = set(
            conn.execute(
                "SELECT session_id::text, from_status::text, to_status::text, is_delayed "
                "FROM scheduling.session_status_history "
                "WHERE id > %s AND reason = 'automatic' AND from_status IS NOT NULL",
                (last_history,),
            ).fetchall()
        )
        reminders = dict(
            conn.execute(
                "SELECT id::text, state::text FROM scheduling.reminders WHERE id = ANY(%s::uuid[])",
                ([str(row["id"]) for row in preview if row["kind"] == "reminder"],),
            ).fetchall()
        )
        generated = set(
            conn.execute(
                "SELECT template_id::text, occurrence_date FROM scheduling.sessions WHERE template_id IS NOT NULL"
            ).fetchall()
        )
        conn.rollback()

    steps = {(str(r["id"]), r["from_state"], r["to_state"], r["is_delayed"]) for r in preview if r["kind"] == "session"}
    assert steps == moved
    assert len(steps) == 5 and (ids["early_hosted"], "in_progress", "completed", False) not in steps
    assert (ids["hosted"], "scheduled", "in_progress", True) in steps
    assert {
        (ids["missed"], "scheduled", "in_progress", False),
        (ids["missed"], "in_progress", "completed", False),
    } <= steps

    predicted = {str(r["id"]): r["to_state"] for r in preview if r["kind"] == "reminder"}
    assert {key for key, state in predicted.items() if state == "leased"} == claimed
    assert reminders == predicted
    assert sorted(predicted.values()) == ["expired", "leased", "skipped"]

    would_generate = {(str(r["id"]), r["occurrence_date"]) for r in preview if r["kind"] == "generated"}
    assert would_generate == generated and len(generated) == 4


def test_preview_command_formats(world) -> None:
    url, ids = world
    env = {"SESSIONKEEPER_DATABASE_URL": url, "PGTZ": "America/New_York"}  # a client zone that is not UTC

    listed = run_cli("preview", "--at", AT, "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert isinstance(rows, list) and len(rows) == 12
    assert [row["kind"] for row in rows] == ["session"] * 5 + ["reminder"] * 3 + ["generated"] * 4
    assert {"kind", "id", "title", "from_state", "to_state", "is_delayed", "happens_at", "detail", "due_at"} <= set(
        rows[0]
    )
    assert rows[0]["happens_at"].endswith("+00:00")

    text = run_cli("preview", "--at", AT, env=env)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0] == "preview at 2031-03-01 10:30:00Z (nothing was changed)"
    assert [line for line in lines if not line.startswith("  ")][1:] == [
        "session steps:",
        "reminders:",
        "sessions to generate:",
        "12 in all: 5 session steps, 3 reminders, 4 sessions to generate",
    ]
    assert len([line for line in lines if line.startswith("  ")]) == 12
    assert any(line.endswith(f"{ids['hosted']}  Hosted: scheduled -> in_progress (delayed)") for line in lines)

    dry = run_cli("tick", "--now", AT, "--dry-run", env=env)
    assert dry.returncode == 0 and dry.stdout == text.stdout

    # The same instant typed as a person would: no seconds, T or a space, an offset or none (UTC).
    for typed in ("2031-03-01 10:30", "2031-03-01T10:30Z", "2031-03-01T11:30:00+01:00", "2031-03-01 11:30 +01"):
        again = run_cli("preview", "--at", typed, "--json", env=env)
        assert again.returncode == 0, (typed, again.stderr)
        assert json.loads(again.stdout) == rows, typed


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("preview", "--at", "yesterday"), "'--at'"),
        (("preview", "--at", "2031-02-30 10:00"), "'--at'"),
        (("preview", "--at", "2031-03-01 25:00"), "'--at'"),
        (("preview",), "'--at'"),
        (("tick", "--now", "2031-03-01 10:30 +99", "--dry-run"), "'--now'"),
    ],
)
def test_a_bad_time_is_a_usage_error_naming_the_option(db_url: str, args: tuple[str, ...], option: str) -> None:
    result = run_cli(*args, env={"SESSIONKEEPER_DATABASE_URL": db_url})
    assert result.returncode == 2, result
    assert option in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("2026-12-01", datetime(2026, 12, 1, tzinfo=UTC)),
        ("2026-12-01 10:05", datetime(2026, 12, 1, 10, 5, tzinfo=UTC)),
        ("2026-12-01T10:05:30", datetime(2026, 12, 1, 10, 5, 30, tzinfo=UTC)),
        ("2026-12-01T10:05:30+01:00", datetime(2026, 12, 1, 9, 5, 30, tzinfo=UTC)),
        ("2026-12-01 10:05 +01", datetime(2026, 12, 1, 9, 5, tzinfo=UTC)),
        ("2026-12-01 10:05-0530", datetime(2026, 12, 1, 15, 35, tzinfo=UTC)),
        ("2026-12-01 10:05:30.25Z", datetime(2026, 12, 1, 10, 5, 30, 250000, tzinfo=UTC)),
    ],
)
def test_time_forms(typed: str, meant: datetime) -> None:
    parsed = parse_time(typed)
    assert parsed == meant and parsed.tzinfo is not None


@pytest.mark.parametrize("typed", ["", "10:05", "2026-12-01 10", "10000-01-01", "1899-12-31", "2026-13-01", "now"])
def test_time_forms_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        parse_time(typed)
