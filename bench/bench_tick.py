"""tick with 1,000 due sessions among 10,000 and among 1,000,000.

Compared, in the same run and on the same rows:
* scheduling.tick(p_now): set-based, with history rows and one NOTIFY;
* a client loop that reads the due sessions and updates them one row at a time (a typical
  service: one round trip per session), with no history at all;
* a bare UPDATE of the same rows: the lower bound, nothing but the status change.
Every measurement runs in a transaction that is rolled back, so each sees the same due rows.
The ratio tick(1,000,000) / tick(10,000) should stay near 1: tick's cost follows the due rows.
When tick misses its target (1.5x the bare UPDATE) at a size, one more tick, rolled back, runs under auto_explain
and the script prints where its time goes: its slowest statements and the row triggers.
"""

from __future__ import annotations

from datetime import UTC, datetime

from support import Profile, connect, median_seconds, migrated_database, print_profile, profile_statement

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
DUE = 1_000
TARGET = 1.5  # tick, at most this many times the bare UPDATE of the same rows


def load_sessions(conn, *, first: int, last: int, host_ids: list) -> None:
    """Rows first..last; the first DUE rows (from row 1) are due at NOW, the rest are not.

    A host is in one session at a time (the exclusion constraint holds even with the triggers off), so every due
    row, all running at NOW, has a host of its own, and the not-due rows, one minute each, follow each other on the
    first host. Not-due rows: half completed in the past, half scheduled in the future. Validation triggers are
    bypassed for the bulk load (session_replication_role = replica); the rows are valid anyway."""
    conn.execute("SET session_replication_role = replica")
    conn.execute(
        """
        INSERT INTO scheduling.sessions
            (host_id, title, starts_at, ends_at, time_zone, status, started_at, completed_at)
        SELECT (%(hosts)s::uuid[])[CASE WHEN r.g <= %(due)s THEN r.g ELSE 1 END], 'bench ' || r.g, r.starts_at,
               r.starts_at + r.length, 'Europe/Berlin', r.status,
               CASE WHEN r.status = 'completed' THEN r.starts_at END,
               CASE WHEN r.status = 'completed' THEN r.starts_at + r.length END
        FROM (
            SELECT g,
                   CASE WHEN g <= %(due)s THEN %(now)s - interval '30 minutes' + (g %% 29) * interval '1 minute'
                        WHEN g %% 2 = 0 THEN %(now)s - interval '1 day' - interval '1 minute' * g
                        ELSE %(now)s + interval '1 day' + interval '1 minute' * g END AS starts_at,
                   CASE WHEN g <= %(due)s THEN interval '1 hour' ELSE interval '1 minute' END AS length,
                   CASE WHEN g > %(due)s AND g %% 2 = 0 THEN 'completed'
                        ELSE 'scheduled' END::scheduling.session_status AS status
            FROM generate_series(%(first)s::integer, %(last)s::integer) AS g
        ) AS r
        """,
        {"hosts": host_ids, "due": DUE, "now": NOW, "first": first, "last": last},
    )
    conn.execute("SET session_replication_role = origin")
    conn.execute("ANALYZE scheduling.sessions")


def rolled_back(conn, work) -> None:
    with conn.transaction(force_rollback=True):
        work()


def measure(conn) -> dict[str, float]:
    def tick() -> None:
        counts = conn.execute("SELECT scheduling.tick(%s)", (NOW,)).fetchone()[0]
        assert counts["started"] == DUE, counts

    def client_loop() -> None:
        due = conn.execute(
            "SELECT id FROM scheduling.sessions WHERE status = 'scheduled' AND deleted_at IS NULL AND starts_at <= %s",
            (NOW,),
        ).fetchall()
        assert len(due) == DUE
        for (session_id,) in due:
            conn.execute(
                "UPDATE scheduling.sessions SET status = 'in_progress', started_at = starts_at "
                "WHERE id = %s AND status = 'scheduled'",
                (session_id,),
            )

    def bare_update() -> None:
        changed = conn.execute(
            "UPDATE scheduling.sessions SET status = 'in_progress', started_at = starts_at "
            "WHERE status = 'scheduled' AND deleted_at IS NULL AND starts_at <= %s",
            (NOW,),
        ).rowcount
        assert changed == DUE

    return {
        "tick": median_seconds(lambda: rolled_back(conn, tick)),
        "client loop": median_seconds(lambda: rolled_back(conn, client_loop), repeat=3),
        "bare UPDATE": median_seconds(lambda: rolled_back(conn, bare_update)),
    }


def profile_if_over(conn, figures: dict[str, float]) -> Profile | None:
    """Where one tick's time goes (rolled back, under auto_explain) when it misses its target at this size."""
    if figures["tick"] <= TARGET * figures["bare UPDATE"]:
        return None
    return profile_statement(conn, "SELECT scheduling.tick(%s)", (NOW,), min_ms=1)


def main() -> None:
    with migrated_database() as url, connect(url, autocommit=True) as conn:
        hosts = [
            row[0]
            for row in conn.execute(
                "SELECT scheduling.create_person('Bench Host ' || g, NULL, 'Europe/Berlin') "
                "FROM generate_series(1, %s) AS g ORDER BY g",
                (DUE,),
            )
        ]
        results = {}
        profiles: dict[int, Profile | None] = {}
        for total in (10_000, 1_000_000):
            loaded = conn.execute("SELECT count(*) FROM scheduling.sessions").fetchone()[0]
            load_sessions(conn, first=loaded + 1, last=total, host_ids=hosts)
            results[total] = measure(conn)
            profiles[total] = profile_if_over(conn, results[total])
        # Columns: what | measured | baseline in the same run | ratio | target.
        print("\ntick: 1,000 due sessions (median wall time, rolled back after each run)")
        for total, figures in results.items():
            baseline = figures["bare UPDATE"]
            for name, target in (("tick", f"<= {TARGET:.2f}x"), ("client loop", "-")):
                print(
                    f"  {name}, {DUE:,} due of {total:,} | {figures[name] * 1000:.1f} ms"
                    f" | bare UPDATE {baseline * 1000:.1f} ms | {figures[name] / baseline:.2f}x | {target}"
                )
        ratio = results[1_000_000]["tick"] / results[10_000]["tick"]
        loop_ratio = results[1_000_000]["client loop"] / results[1_000_000]["tick"]
        print(f"\n  tick(1,000,000 rows) / tick(10,000 rows) = {ratio:.2f}  (near 1: cost follows due rows)")
        print(f"  client loop / tick at 1,000,000 rows     = {loop_ratio:.1f}")
        for total, profile in profiles.items():
            if profile is not None:
                print_profile(
                    f"tick over {TARGET:g}x the bare UPDATE at {total:,} rows: once more, rolled back, under "
                    "auto_explain (instrumented, so slower than the plain run)",
                    profile,
                )


if __name__ == "__main__":
    main()
