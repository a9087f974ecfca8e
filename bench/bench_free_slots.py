"""free_slots over one week of a host with 10,000 sessions (a year and more of them), next to the bare range
query over the same rows (that host's sessions in that week, through the same index) in the same run.

The host works every day 08:00-20:00 Europe/Berlin; a 20-minute session starts every 55 minutes for 382 days.
free_slots asks for 30-minute slots on a 15-minute grid. Both figures are medians of 20 runs; the ratio says
what working time, the grid and the busy check cost on top of reading the sessions. The plan of the sessions
query is printed too: it must use the index of sessions_host_time_never_overlaps.
"""

from __future__ import annotations

from support import connect, median_seconds, migrated_database, print_table

SESSIONS = 10_000
WEEK_FROM, WEEK_TO = "2031-07-07 00:00+02", "2031-07-14 00:00+02"
NOW = "2031-01-01 00:00+00"
BARE = """
    SELECT count(*) FROM scheduling.sessions AS s
    WHERE s.host_id = %(host)s AND tstzrange(s.starts_at, s.ends_at, '[)') && tstzrange(%(f)s, %(t)s, '[)')
    AND s.status IN ('scheduled', 'in_progress', 'completed')
"""
SLOTS = "SELECT count(*) FROM scheduling.free_slots(%(host)s, %(f)s, %(t)s, '30 minutes', '15 minutes', %(now)s)"


def main() -> None:
    with migrated_database() as url, connect(url, autocommit=True) as conn:
        conn.execute("SELECT set_config('sessionkeeper.simulated_time', 'on', FALSE)")
        host = conn.execute("SELECT scheduling.create_person('Busy Host', NULL, 'Europe/Berlin')").fetchone()[0]
        every_day = {day: ["08:00-20:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
        conn.execute(
            "SELECT scheduling.set_working_hours(%s, %s::jsonb, 'bench', %s)",
            (host, str(every_day).replace("'", '"'), NOW),
        )
        conn.execute(
            """
            INSERT INTO scheduling.sessions (host_id, title, starts_at, ends_at, time_zone, created_at, updated_at)
            SELECT %s, 'Session ' || i, t, t + interval '20 minutes', 'Europe/Berlin', %s, %s
            FROM generate_series(0, %s - 1) AS i,
                LATERAL (SELECT timestamptz '2031-01-01 00:00+00' + i * interval '55 minutes' AS t) AS g
            """,
            (host, NOW, NOW, SESSIONS),
        )
        conn.execute("ANALYZE scheduling.sessions")
        args = {"host": host, "f": WEEK_FROM, "t": WEEK_TO, "now": NOW}
        slots = conn.execute(SLOTS, args).fetchone()[0]
        busy = conn.execute(BARE, args).fetchone()[0]
        plan = " ".join(row[0] for row in conn.execute("EXPLAIN (COSTS OFF) " + BARE, args).fetchall())
        measured = median_seconds(lambda: conn.execute(SLOTS, args).fetchone(), repeat=20)
        baseline = median_seconds(lambda: conn.execute(BARE, args).fetchone(), repeat=20)

    uses_index = "sessions_host_time_never_overlaps" in plan
    print_table(
        f"free_slots, one week of a host with {SESSIONS:,} sessions ({slots} free slots, {busy} sessions that week)",
        [
            ("what", "measured", "baseline in the same run | ratio"),
            (
                "free_slots (30 min, 15 min grid)",
                f"{measured * 1000:.2f} ms",
                f"bare range query {baseline * 1000:.2f} ms | {measured / baseline:.1f}x",
            ),
            ("sessions read through", "GiST index" if uses_index else "NO INDEX", plan[:100]),
        ],
    )


if __name__ == "__main__":
    main()
