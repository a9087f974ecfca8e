"""Fault 4: two tickers at once: the real pg_cron job `sessionkeeper-tick` (every minute, in the session
cluster's pg_cron database) and `sessionkeeper tick --loop --interval 1`, across a minute boundary.

Hundreds of sessions start (and others end) within a few seconds around the boundary, most of them a
millisecond apart, so whichever ticker comes second finds sessions the first could not take yet. The
CLI logs in as its own role (a member of sessionkeeper_cron, as a deployment would set it up), so the
history's actor column says which ticker moved what. While both run, one session is cancelled and one
booking is moved away from the boundary.

pg_cron schedules by the minute: polling cron.job_run_details until the job has run at the boundary
is the one wait on the clock here (up to about 75 s).
"""

from __future__ import annotations

import secrets
from collections import Counter
from datetime import datetime, timedelta

import psycopg
import pytest
from psycopg import sql

from runner.cluster import Cluster
from tests.conftest import CRON_DBNAME
from tests.faults.outbox import book, reschedule
from tests.processes import start_cli, stop_worker, wait_for

TICKER_ROLE = "faults_cli_ticker"
# Sessions starting around the boundary: 600 one millisecond apart from 0.3 s before it, then 200 ten
# milliseconds apart; 100 sessions in progress ending 5 ms apart from 0.3 s before it.
DENSE, SPARSE, ENDING = 600, 200, 100
# The boundary is the first full minute at least this far ahead: everything is in place before it.
MARGIN_SECONDS = 12
# cron.job_run_details rows that belong to the boundary's run.
RUN_WINDOW = (timedelta(seconds=-2), timedelta(seconds=30))

# Each session has a host of its own: they overlap, and a host is in one session at a time.
STARTING_SQL = """
SELECT scheduling.create_session(
    scheduling.create_person('Tick Host', NULL, 'UTC'), 'starts at the boundary', t.at, %(b)s + interval '1 hour'
)
FROM (
    SELECT %(b)s + make_interval(secs => -0.3 + g * 0.001) FROM generate_series(0, %(dense)s - 1) AS g
    UNION ALL
    SELECT %(b)s + make_interval(secs => 0.3 + g * 0.01) FROM generate_series(0, %(sparse)s - 1) AS g
) AS t (at)
"""
ENDING_SQL = """
SELECT scheduling.create_session(
    scheduling.create_person('Tick Host', NULL, 'UTC'), 'ends at the boundary', clock_timestamp(),
    %(b)s + make_interval(secs => -0.3 + g * 0.005)
)
FROM generate_series(0, %(n)s - 1) AS g
"""


@pytest.fixture
def ticker_url(cluster: Cluster, cron_db_url: str) -> str:
    """A login role for the CLI ticker that holds nothing but membership in sessionkeeper_cron."""
    password = secrets.token_urlsafe(16)
    with psycopg.connect(cron_db_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (TICKER_ROLE,)).fetchone()
        statement = "ALTER ROLE {} LOGIN PASSWORD {}" if exists else "CREATE ROLE {} LOGIN PASSWORD {}"
        conn.execute(sql.SQL(statement).format(sql.Identifier(TICKER_ROLE), sql.Literal(password)))
        conn.execute(sql.SQL("GRANT sessionkeeper_cron TO {}").format(sql.Identifier(TICKER_ROLE)))
    return f"postgresql://{TICKER_ROLE}:{password}@127.0.0.1:{cluster.port}/{CRON_DBNAME}"


def next_boundary(conn: psycopg.Connection) -> datetime:
    now = conn.execute("SELECT clock_timestamp()").fetchone()[0]
    boundary = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return boundary if boundary - now >= timedelta(seconds=MARGIN_SECONDS) else boundary + timedelta(minutes=1)


def cron_runs(conn: psycopg.Connection, boundary: datetime) -> list[tuple]:
    """The sessionkeeper-tick runs that started around ``boundary``: (status, message, start, end)."""
    return conn.execute(
        """
        SELECT d.status, d.return_message, d.start_time, d.end_time FROM cron.job_run_details AS d
        JOIN cron.job AS j ON j.jobid = d.jobid
        WHERE j.jobname = 'sessionkeeper-tick' AND d.start_time BETWEEN %s AND %s
        """,
        (boundary + RUN_WINDOW[0], boundary + RUN_WINDOW[1]),
    ).fetchall()


def last_tick_at(conn: psycopg.Connection) -> datetime:
    return conn.execute("SELECT last_tick_at FROM scheduling.tick_state WHERE singleton").fetchone()[0]


def not_moved_yet(conn: psycopg.Connection, starting: list, ending: list) -> int:
    return conn.execute(
        "SELECT count(*) FROM scheduling.sessions WHERE "
        "(id = ANY(%s) AND status <> 'in_progress') OR (id = ANY(%s) AND status <> 'completed')",
        (starting, ending),
    ).fetchone()[0]


def test_pg_cron_and_the_cli_tick_at_once(cron_db_url, ticker_url):
    ticker = start_cli("tick", "--loop", "--interval", "1", url=ticker_url)
    try:
        with psycopg.connect(cron_db_url, autocommit=True) as conn:
            boundary = next_boundary(conn)
            host = conn.execute("SELECT scheduling.create_person('Tick Host', '+15559990002', 'UTC')").fetchone()[0]
            values = {"host": host, "b": boundary, "dense": DENSE, "sparse": SPARSE, "n": ENDING}
            starting = [row[0] for row in conn.execute(STARTING_SQL, values)]
            ending = [row[0] for row in conn.execute(ENDING_SQL, values)]
            # While both tickers run: a session starting at the boundary is cancelled, and an appointment
            # starting then is moved two hours later.
            cancelled = conn.execute(
                "SELECT scheduling.create_session(%s, 'cancelled', %s, %s)",
                (host, boundary, boundary + timedelta(hours=1)),
            ).fetchone()[0]
            conn.execute("SELECT scheduling.cancel_session(%s, 'fault test', 'faults')", (cancelled,))
            booking = book(conn, 900, boundary)
            moved = conn.execute("SELECT session_id FROM scheduling.bookings WHERE id = %s", (booking,)).fetchone()[0]
            reschedule(conn, booking, boundary + timedelta(hours=2))
            ready_at = conn.execute("SELECT clock_timestamp()").fetchone()[0]
            assert ready_at < boundary - timedelta(seconds=1), f"set up too slowly: ready {ready_at}, due {boundary}"

            wait_for(
                lambda: (
                    not_moved_yet(conn, starting, ending) == 0
                    and any(status in ("succeeded", "failed") for status, *_ in cron_runs(conn, boundary))
                ),
                "every session moved and the pg_cron job run at the boundary",
                deadline=(boundary - ready_at).total_seconds() + 60,
                workers=(ticker,),
                every=0.5,
            )
            # pg_cron ticks once a minute, so a tick after its run is the CLI's: both had their go at every row.
            cron_ended = max(end for *_, end in cron_runs(conn, boundary))
            wait_for(lambda: last_tick_at(conn) > cron_ended + timedelta(seconds=1), "a CLI tick after the cron run")
    finally:
        code, out = stop_worker(ticker)
    assert code == 0, out
    for bad in ("failed", "unavailable", "error", "Traceback"):
        assert bad not in out, out

    mine = [*starting, *ending, cancelled, moved]
    with psycopg.connect(cron_db_url) as conn:
        runs = cron_runs(conn, boundary)
        duplicates = conn.execute(
            "SELECT session_id, from_status, to_status, count(*) FROM scheduling.session_status_history "
            "WHERE session_id = ANY(%s) AND reason = 'automatic' GROUP BY 1, 2, 3 HAVING count(*) > 1",
            (mine,),
        ).fetchall()
        moves = conn.execute(
            "SELECT session_id, to_status::text, actor FROM scheduling.session_status_history WHERE "
            "session_id = ANY(%s) AND reason = 'automatic' AND happened_at >= %s - interval '1 second'",
            (mine, boundary),
        ).fetchall()
        skipped = conn.execute(
            "SELECT session_id, count(*) FROM scheduling.session_status_history "
            "WHERE session_id = ANY(%s) AND reason = 'skipped' GROUP BY 1",
            (mine,),
        ).fetchall()
        untouched = conn.execute(
            "SELECT count(*) FROM scheduling.session_status_history WHERE session_id = ANY(%s) AND reason = "
            "'automatic'",
            ([cancelled, moved],),
        ).fetchone()[0]
        moved_to = conn.execute("SELECT status::text, starts_at FROM scheduling.sessions WHERE id = %s", (moved,))
        moved_row = moved_to.fetchone()

    assert [status for status, *_ in runs] == ["succeeded"], runs
    assert duplicates == [], "no session moved twice"
    assert {session for session, to_status, _ in moves if to_status == "in_progress"} == set(starting)
    assert {session for session, to_status, _ in moves if to_status == "completed"} == set(ending)
    by_actor = Counter(actor for *_, actor in moves)
    assert set(by_actor) == {"postgres", TICKER_ROLE}, f"both tickers moved sessions at the boundary: {by_actor}"
    assert skipped == [(cancelled, 1)], "the cancelled session's start is traced as skipped, once"
    assert untouched == 0, "neither the cancelled nor the moved session started"
    assert moved_row == ("scheduled", boundary + timedelta(hours=2))
    print(
        f"\nFIGURES tick: {len(moves)} transitions around {boundary:%H:%M:%S}: {by_actor['postgres']} by pg_cron, "
        f"{by_actor[TICKER_ROLE]} by the CLI, none twice; cron run {runs[0][2]:%S.%f}..{runs[0][3]:%S.%f} s"
    )
