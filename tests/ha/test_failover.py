"""The database host dies mid-run: SIGKILL the primary of a pg_auto_failover formation (its keeper and its
postmaster, so nothing restarts it in place) while a worker sends 2,000 due reminders and a client books in a loop.

Afterwards: every reminder reached the fake provider exactly once (twice at most, and only when marked uncertain);
no booking whose commit was acknowledged is missing (the formation replicates synchronously); pg_cron runs the tick
job on the new primary, no minute twice and never two minutes without one; the worker never exited. The figures
(kill to new primary, kill to first send) are printed as FIGURES lines.
"""

from __future__ import annotations

import itertools
import os
import signal
import threading
import time
from datetime import UTC, datetime

import psycopg

from runner.ha import NODES, Formation
from tests.faults.outbox import assert_delivered_once, book, due_in, settled
from tests.processes import start_worker, states, stop_worker, wait_for
from tests.seed import add_due_reminders

REMINDERS = 2000
KILL_AFTER_SENT = 300
DEADLINE = 240.0
TICK_JOB = "sessionkeeper-tick"


class Booker(threading.Thread):
    """Books 1:1 appointments in a loop through the multi-host URL, reconnecting after any error; remembers each
    booking whose commit the server acknowledged. Their reminders fall due a second later."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.committed: list[str] = []
        self.errors = 0
        self.halt = threading.Event()

    def run(self) -> None:
        number = 0
        conn: psycopg.Connection | None = None
        while not self.halt.is_set():
            try:
                if conn is None:
                    conn = psycopg.connect(self.url, autocommit=True, connect_timeout=3)
                number += 1
                self.committed.append(book(conn, number, due_in(conn, 1)))
                self.halt.wait(0.05)
            except psycopg.Error:
                self.errors += 1
                if conn is not None:
                    conn.close()
                conn = None
                self.halt.wait(0.2)
        if conn is not None:
            conn.close()

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=30)
        assert not self.is_alive()


def quietly(condition):
    """A polling condition that reads False while no node accepts writes."""

    def check():
        try:
            return condition()
        except psycopg.OperationalError:
            return False

    return check


def tick_runs(node_url: str) -> list[tuple[datetime, str]]:
    """(start time, status) of every run of the tick job pg_cron recorded on that node."""
    with psycopg.connect(node_url) as conn:
        return conn.execute(
            "SELECT d.start_time, d.status FROM cron.job_run_details AS d JOIN cron.job AS j USING (jobid) "
            "WHERE j.jobname = %s ORDER BY d.start_time",
            (TICK_JOB,),
        ).fetchall()


def succeeded_ticks(node_url: str) -> list[datetime]:
    return [start for start, status in tick_runs(node_url) if status == "succeeded"]


def kill_node(formation: Formation, name: str) -> None:
    """The host dies: SIGKILL the node's keeper (its whole process group) and its postmaster."""
    postmaster = formation.postmaster_pid(name)
    assert postmaster is not None
    os.killpg(formation.keepers()[name], signal.SIGKILL)
    os.kill(postmaster, signal.SIGKILL)


def test_sigkill_the_primary_mid_run(formation, fake):
    url = formation.url()
    old, new = NODES
    assert formation.primary() == old
    with psycopg.connect(formation.node_url(old)) as conn:
        assert conn.execute("SHOW synchronous_standby_names").fetchone()[0].startswith("ANY 1 ("), "synchronous"
        assert conn.execute("SHOW synchronous_commit").fetchone()[0] == "on"
    with psycopg.connect(formation.node_url(new)) as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]
        assert conn.execute("SELECT count(*) FROM cron.job WHERE jobname = %s", (TICK_JOB,)).fetchone()[0] == 1

    add_due_reminders(url, REMINDERS)
    # pg_cron runs the tick on the primary once a minute: let one run happen there before the fault.
    wait_for(lambda: succeeded_ticks(formation.node_url(old)), "a tick on the first primary", deadline=75, every=1)

    fake.default_delay = 0.01
    worker = start_worker(url, fake.cloud_env(), "--lease", "5")
    booker = Booker(url)
    booker.start()
    try:
        wait_for(lambda: states(url)["sent"] >= KILL_AFTER_SENT, "the first sends", workers=(worker,))
        killed_at = datetime.now(UTC)
        kill_started = time.monotonic()
        kill_node(formation, old)

        wait_for(lambda: formation.primary() == new, "the second node's promotion", deadline=DEADLINE, every=0.2)
        to_new_primary = time.monotonic() - kill_started
        promoted_at = datetime.now(UTC)
        committed_before = len(booker.committed)
        wait_for(lambda: len(booker.committed) >= committed_before + 20, "bookings on the new primary", DEADLINE)
        booker.stop()

        wait_for(
            quietly(lambda: settled(url)),
            "every reminder out",
            deadline=DEADLINE,
            workers=(worker,),
        )
        wait_for(
            lambda: [t for t in succeeded_ticks(formation.node_url(new)) if t > promoted_at],
            "a tick on the new primary",
            deadline=DEADLINE,
            every=1,
        )
        assert worker.poll() is None, "the worker kept running"
    finally:
        booker.stop()
        code, out = stop_worker(worker)
    assert code == 0, out

    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT NOT pg_is_in_recovery()").fetchone()[0]
        found = conn.execute(
            "SELECT count(*) FROM scheduling.bookings WHERE id::text = ANY(%s)", (booker.committed,)
        ).fetchone()[0]
        first_send = conn.execute(
            "SELECT min(sent_at) FROM scheduling.reminders WHERE sent_at > %s", (killed_at,)
        ).fetchone()[0]
        outbox_rows = conn.execute("SELECT count(*) FROM scheduling.reminders").fetchone()[0]
    lost = len(booker.committed) - found
    assert lost == 0, f"{lost} acknowledged bookings are missing after the failover"

    delivery = assert_delivered_once(url, fake, never=set())
    assert len(delivery.sent) == outbox_rows >= REMINDERS + len(booker.committed)
    assert delivery.duplicated <= delivery.uncertain

    ticks = succeeded_ticks(formation.node_url(new))
    minutes = [t.replace(second=0, microsecond=0) for t in ticks]
    assert len(minutes) == len(set(minutes)), f"a minute ticked twice: {ticks}"
    # pg_cron starts the job at each minute: at most one scheduled minute may go by without a tick.
    gaps = [(later - earlier).total_seconds() / 60 for earlier, later in itertools.pairwise(minutes)]
    assert max(gaps) <= 2, f"the tick stopped for more than two minutes: {ticks}"
    with psycopg.connect(url) as conn:
        last_tick = conn.execute("SELECT last_tick_at FROM scheduling.tick_state").fetchone()[0]
    assert last_tick > promoted_at, "the tick ran on the new primary"

    print(
        f"\nFIGURES failover: kill -> new primary {to_new_primary:.1f} s; "
        f"kill -> first send {(first_send - killed_at).total_seconds():.1f} s; "
        f"bookings acknowledged {len(booker.committed)}, lost {lost}; booking errors {booker.errors}; "
        f"duplicates {len(delivery.duplicated)}, uncertain {len(delivery.uncertain)}; "
        f"longest tick gap {max(gaps):.0f} min"
    )
