"""Enrollments per second with 32 clients contending for the same sessions, next to pgbench -N on the same
cluster in the same run, and the count of overbooked seats.

pgbench drives every figure, so the client side is the same: 32 clients, 2 threads, 10 s each.
* enroll: each transaction enrolls a random person into one of 10 sessions of 10 seats, one a day
  (a host is in one session at a time; scheduling.enroll, waitlist on), through a wrapper that counts
  refusals (full, already enrolled) instead of aborting the client. After the first 100 seats every
  enrollment joins a waitlist.
* baseline: pgbench's built-in simple-update transaction (-N: UPDATE, SELECT and INSERT on
  pgbench_accounts and pgbench_history, scale 1), run once before and once after the enrollments; the
  mean of the two keeps a load that changes during the run from favouring either side.
* for scale: one UPDATE of one single row by all clients (worst-case contention).
Afterwards: confirmed bookings per session must never exceed capacity.
Target: enroll >= 0.5x pgbench -N, 0 overbooked seats. Below its target, one more enrollment runs rolled back
under auto_explain and the script prints its nested statements and row triggers.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

from support import connect, migrated_database, print_profile, profile_statement

from runner.cluster import postgres_bindir

CLIENTS, THREADS, SECONDS = 32, 2, 10
SESSIONS, SEATS, PEOPLE = 10, 10, 100_000
TARGET = 0.5  # enroll, at least this many times pgbench -N


def run_pgbench(url_parts: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PGPASSWORD": url_parts["password"]}
    return subprocess.run(
        [
            str(postgres_bindir() / "pgbench"),
            "-h",
            "127.0.0.1",
            "-p",
            url_parts["port"],
            "-U",
            "postgres",
            *args,
            url_parts["dbname"],
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )


def pgbench(url_parts: dict[str, str], *args: str) -> float:
    """Transactions per second of one pgbench run."""
    result = run_pgbench(url_parts, *args)
    match = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", result.stdout)
    if not match:
        raise RuntimeError(f"pgbench printed no tps: {result.stdout[-500:]} {result.stderr[-500:]}")
    return float(match.group(1))


def main() -> None:
    with migrated_database() as url, connect(url, autocommit=True) as conn:
        parts = dict(
            re.match(
                r"postgresql://(?P<user>[^:]+):(?P<password>[^@]+)@[^:]+:(?P<port>\d+)/(?P<dbname>.+)", url
            ).groupdict()
        )
        host = conn.execute("SELECT scheduling.create_person('Bench Host', NULL, 'UTC')").fetchone()[0]
        conn.execute("CREATE TABLE public.bench_sessions (n integer PRIMARY KEY, id uuid NOT NULL)")
        conn.execute("CREATE TABLE public.bench_people (n integer PRIMARY KEY, id uuid NOT NULL)")
        conn.execute(
            """
            INSERT INTO public.bench_sessions
            SELECT g, scheduling.create_session(%s, 'workshop day ' || g, now() + interval '1 day' * (7 + g),
                                                now() + interval '1 day' * (7 + g) + interval '2 hours', 'UTC',
                                                'automatic', %s)
            FROM generate_series(1, %s) AS g
            """,
            (host, SEATS, SESSIONS),
        )
        conn.execute(
            "INSERT INTO public.bench_people SELECT g, scheduling.create_person('Student ' || g, NULL, 'UTC') "
            "FROM generate_series(1, %s) AS g",
            (PEOPLE,),
        )
        # Refusals are part of the workload; count them instead of letting pgbench abort the client.
        conn.execute(
            """
            CREATE FUNCTION public.bench_enroll(p_session integer, p_person integer) RETURNS text
            LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM scheduling.enroll((SELECT id FROM public.bench_sessions WHERE n = p_session),
                                          (SELECT id FROM public.bench_people WHERE n = p_person));
                RETURN 'ok';
            EXCEPTION WHEN OTHERS THEN
                RETURN SQLSTATE;
            END;
            $$
            """
        )
        conn.execute("ANALYZE")
        with tempfile.TemporaryDirectory() as folder:
            os.chmod(folder, 0o755)
            script = Path(folder) / "enroll.sql"
            script.write_text(
                f"\\set s random(1, {SESSIONS})\n\\set p random(1, {PEOPLE})\nSELECT public.bench_enroll(:s, :p);\n"
            )
            same_row = Path(folder) / "same_row.sql"
            same_row.write_text("UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = 1;\n")
            load = ["-c", str(CLIENTS), "-j", str(THREADS), "-T", str(SECONDS), "-n"]
            run_pgbench(parts, "-i", "-s", "1", "-q")
            simple_update_before = pgbench(parts, *load, "-N")
            enroll_tps = pgbench(parts, *load, "-f", str(script))
            simple_update_after = pgbench(parts, *load, "-N")
            same_row_tps = pgbench(parts, *load, "-f", str(same_row))
        simple_update_tps = (simple_update_before + simple_update_after) / 2
        profile = None
        if enroll_tps < TARGET * simple_update_tps:
            # One more enrollment, rolled back, of a person with no booking yet: by now a waitlist join.
            person = conn.execute(
                "SELECT min(p.n) FROM public.bench_people AS p WHERE NOT EXISTS "
                "(SELECT 1 FROM scheduling.bookings AS b WHERE b.person_id = p.id)"
            ).fetchone()[0]
            profile = profile_statement(conn, "SELECT public.bench_enroll(1, %s)", (person,), min_ms=0)
        stats = conn.execute(
            """
            SELECT count(*) FILTER (WHERE b.status = 'confirmed'), count(*),
                   (SELECT count(*) FROM (
                        SELECT s.id FROM scheduling.sessions AS s
                        JOIN scheduling.bookings AS b2 ON b2.session_id = s.id AND b2.status = 'confirmed'
                        WHERE s.capacity > 0 GROUP BY s.id, s.capacity HAVING count(*) > s.capacity) AS over)
            FROM scheduling.bookings AS b
            """
        ).fetchone()
        overbooked_seats = conn.execute(
            """
            SELECT coalesce(sum(greatest(c.confirmed - c.capacity, 0)), 0) FROM (
                SELECT s.capacity, count(b.id) AS confirmed FROM scheduling.sessions AS s
                LEFT JOIN scheduling.bookings AS b ON b.session_id = s.id AND b.status = 'confirmed'
                WHERE s.capacity > 0 GROUP BY s.id, s.capacity) AS c
            """
        ).fetchone()[0]

    # Columns: what | measured | baseline in the same run | ratio | target.
    print(f"\n{CLIENTS} clients, {SECONDS} s each (pgbench, transactions per second)")
    print(
        f"  enroll into {SESSIONS} sessions of {SEATS} | {enroll_tps:.0f} tps"
        f" | pgbench -N {simple_update_tps:.0f} tps"
        f" ({simple_update_before:.0f} before, {simple_update_after:.0f} after)"
        f" | {enroll_tps / simple_update_tps:.2f}x | >= {TARGET:.2f}x"
    )
    print(
        f"  enroll into {SESSIONS} sessions of {SEATS} | {enroll_tps:.0f} tps"
        f" | UPDATE of one row by all clients {same_row_tps:.0f} tps | {enroll_tps / same_row_tps:.2f}x | -"
    )
    print(f"  overbooked seats | {overbooked_seats} | - | - | 0")
    print(f"\n  bookings: {stats[0]} confirmed of {stats[1]} (the rest waitlisted); sessions over capacity: {stats[2]}")
    if profile is not None:
        print_profile(
            f"enroll under {TARGET:g}x pgbench -N: one more enrollment (a waitlist join), rolled back, under "
            "auto_explain, every nested statement",
            profile,
        )


if __name__ == "__main__":
    main()
