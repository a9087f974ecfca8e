"""generate_recurring_sessions for 10,000 templates, 30 days ahead.

Measured in the same run, on the same database:
* the first run of scheduling.generate_all_recurring_sessions (creates every session, logs each one);
* the second run (idempotent: must create nothing), which shows what the nightly job costs when
  there is nothing new;
* a bare INSERT ... SELECT of exactly the rows the first run writes: the sessions, their history rows
  and their log rows (computed beforehand, triggers off): the lower bound for writing those rows at all.
The bare INSERT runs first and is rolled back, so the generation then writes the same rows itself.
Every template has its own host (a host is in one session at a time: templates of one host at
overlapping times would only log host_busy).
Targets: the first generation at most 3x the bare INSERT; the idempotent second run at most 10% of
the first. When the first misses its target, the script runs it once more, rolled back, under auto_explain and
prints where its time goes: the slowest statements inside it and the row triggers (foreign-key checks included).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from support import connect, migrated_database, print_profile, print_targets, profile_statement

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)  # 30 days across Europe's spring DST change
TEMPLATES = 10_000
RULES = ["FREQ=DAILY", "FREQ=WEEKLY;BYDAY=MO,WE,FR", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", "FREQ=MONTHLY;BYDAY=2TH"]
FIRST_TARGET = 3.0  # the first generation, at most this many times the bare INSERT
ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney"]


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    with migrated_database() as url, connect(url, autocommit=True) as conn:
        conn.execute(
            """
            SELECT scheduling.create_template(
                scheduling.create_person('Bench Host ' || g, NULL, 'UTC'), 'class ' || g,
                (%(rules)s::text[])[1 + g %% 4], date '2026-03-01',
                time '09:00' + (g %% 10) * interval '30 minutes', interval '1 hour', (%(zones)s::text[])[1 + g %% 4],
                p_now => %(now)s)
            FROM generate_series(1, %(n)s) AS g
            """,
            {"rules": RULES, "zones": ZONES, "now": NOW, "n": TEMPLATES},
        )
        conn.execute("ANALYZE")

        # The rows a generation creates, computed once, for the bare INSERT.
        conn.execute(
            """
            CREATE TEMP TABLE wanted AS
            SELECT t.id AS template_id, t.host_id, t.title, o.occurrence_date, o.starts_at, o.ends_at, t.time_zone
            FROM scheduling.session_templates AS t
            CROSS JOIN LATERAL scheduling.template_occurrences(
                t.id, (%(now)s AT TIME ZONE t.time_zone)::date, (%(now)s AT TIME ZONE t.time_zone)::date + 30
            ) AS o
            WHERE o.starts_at > %(now)s
            """,
            {"now": NOW},
        )
        rows = conn.execute("SELECT count(*) FROM wanted").fetchone()[0]

        def bare_insert() -> None:
            conn.execute("SET session_replication_role = replica")
            conn.execute(
                """
                INSERT INTO scheduling.sessions
                    (host_id, title, starts_at, ends_at, time_zone, template_id, occurrence_date)
                SELECT host_id, title, starts_at, ends_at, time_zone, template_id, occurrence_date FROM wanted
                """
            )
            conn.execute(
                """
                INSERT INTO scheduling.session_status_history
                    (session_id, from_status, to_status, is_delayed, reason, detail, slot_version, happened_at)
                SELECT s.id, NULL, 'scheduled', FALSE, 'automatic',
                       format('generated from template %%s for %%s: %%s .. %%s', s.template_id, s.occurrence_date,
                              s.starts_at, s.ends_at),
                       1, %(now)s
                FROM scheduling.sessions AS s WHERE s.template_id IS NOT NULL
                """,
                {"now": NOW},
            )
            conn.execute(
                """
                INSERT INTO scheduling.recurring_session_logs
                    (template_id, session_id, occurrence_date, action, detail, happened_at)
                SELECT s.template_id, s.id, s.occurrence_date, 'generated',
                       format('%%s .. %%s', s.starts_at, s.ends_at), %(now)s
                FROM scheduling.sessions AS s WHERE s.template_id IS NOT NULL
                """,
                {"now": NOW},
            )
            conn.execute("SET session_replication_role = origin")

        with conn.transaction(force_rollback=True):
            bare = timed(bare_insert)

        results = {}

        def generate() -> None:
            results["first"] = conn.execute(
                "SELECT scheduling.generate_all_recurring_sessions(30, %s)", (NOW,)
            ).fetchone()[0]

        def again() -> None:
            results["second"] = conn.execute(
                "SELECT scheduling.generate_all_recurring_sessions(30, %s)", (NOW,)
            ).fetchone()[0]

        # Rolled back too, so that a profile can then run the first generation again on the same rows.
        with conn.transaction(force_rollback=True):
            first = timed(generate)
            second = timed(again)
            created = conn.execute("SELECT count(*) FROM scheduling.sessions WHERE template_id IS NOT NULL").fetchone()[
                0
            ]

        profile = None
        if first / bare > FIRST_TARGET:
            profile = profile_statement(
                conn, "SELECT scheduling.generate_all_recurring_sessions(30, %s)", (NOW,), min_ms=50
            )

    print_targets(
        f"generate 30 days for {TEMPLATES:,} templates, one host each ({rows:,} sessions)",
        [
            (
                "first generation",
                f"{first:.2f} s",
                f"bare INSERT of sessions+history+logs (triggers off) {bare:.2f} s",
                f"{first / bare:.1f}x",
                f"<= {FIRST_TARGET:g}x",
            ),
            (
                "second generation (idempotent)",
                f"{second:.2f} s",
                f"first generation {first:.2f} s",
                f"{second / first:.0%}",
                "<= 10%",
            ),
        ],
    )
    print(f"\n  sessions created: {created:,} (expected {rows:,}); first run: {results['first']}")
    print(f"  second run: {results['second']}")
    if profile is not None:
        print_profile(
            f"first generation over {FIRST_TARGET:g}x its bare INSERT: one more run, rolled back, under auto_explain"
            " (instrumented, so slower than the plain run)",
            profile,
        )


if __name__ == "__main__":
    main()
