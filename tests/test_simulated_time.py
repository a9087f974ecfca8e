"""Simulated time is switched on, never stumbled into: `sessionkeeper tick --now <tomorrow>` against a database
where sessionkeeper.simulated_time is off says SK038 in one line and writes nothing; with --simulated-time (or its
environment variable) it moves the session due then. The throwaway test clusters have the setting on; a login
with `ALTER ROLE … SET sessionkeeper.simulated_time = off` stands for a real server here."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import sql

from runner import db
from runner.cluster import Cluster
from tests.helpers import run_cli
from tests.login_roles import login_in


@pytest.fixture
def real_time_cron_url(db_url: str) -> Iterator[str]:
    """A login in sessionkeeper_cron whose sessions have simulated time off (the role setting beats the
    cluster's on)."""
    with login_in(db_url, "sessionkeeper_cron", purpose="real_time") as url:
        with psycopg.connect(db_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("ALTER ROLE {} SET sessionkeeper.simulated_time = off").format(
                    sql.Identifier(urlsplit(url).username)
                )
            )
        yield url


@pytest.fixture
def due_tomorrow(db_url: str) -> str:
    """A session starting tomorrow (real time), created at the real now."""
    starts = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=1)
    with psycopg.connect(db_url, autocommit=True) as admin:
        host = admin.execute("SELECT scheduling.create_person('Host', '+4915112345678', 'UTC')").fetchone()[0]
        session = admin.execute(
            "SELECT scheduling.create_session(%s, 'Due tomorrow', %s, %s)", (host, starts, starts + timedelta(hours=1))
        ).fetchone()[0]
    return str(session)


def sessions_fingerprint(db_url: str) -> tuple:
    """Every row of sessions and their history, and tick's state."""
    with psycopg.connect(db_url, autocommit=True) as admin:
        return admin.execute(
            """
            SELECT
                (SELECT md5(string_agg(s::text, E'\\n' ORDER BY s.id)) FROM scheduling.sessions AS s),
                (SELECT md5(string_agg(h::text, E'\\n' ORDER BY h.id)) FROM scheduling.session_status_history AS h),
                (SELECT ts::text FROM scheduling.tick_state AS ts)
            """
        ).fetchone()


def status_of(db_url: str, session: str) -> str:
    with psycopg.connect(db_url, autocommit=True) as admin:
        return admin.execute("SELECT status::text FROM scheduling.sessions WHERE id = %s", (session,)).fetchone()[0]


def tomorrow_plus_five_minutes() -> str:
    moment = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=1, minutes=5)
    return moment.strftime("%Y-%m-%dT%H:%M:%S%z")


def test_the_login_really_has_simulated_time_off_and_the_test_cluster_on(db_url, real_time_cron_url):
    with psycopg.connect(real_time_cron_url, autocommit=True) as conn:
        assert conn.execute("SHOW sessionkeeper.simulated_time").fetchone() == ("off",)
    with psycopg.connect(db_url, autocommit=True) as conn:
        assert conn.execute("SHOW sessionkeeper.simulated_time").fetchone() == ("on",)


def test_tick_now_tomorrow_without_the_flag_says_sk038_and_writes_nothing(db_url, real_time_cron_url, due_tomorrow):
    before = sessions_fingerprint(db_url)
    result = run_cli(
        "tick", "--now", tomorrow_plus_five_minutes(), env={"SESSIONKEEPER_DATABASE_URL": real_time_cron_url}
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: tick: p_now "), lines[0]
    assert "[SQLSTATE SK038]" in lines[0] and "--simulated-time" in lines[0], lines[0]
    assert sessions_fingerprint(db_url) == before
    assert status_of(db_url, due_tomorrow) == "scheduled"


@pytest.mark.parametrize(
    ("option", "env"),
    [(["--simulated-time"], {}), ([], {"SESSIONKEEPER_SIMULATED_TIME": "1"})],
    ids=["flag", "environment"],
)
def test_tick_now_tomorrow_with_simulated_time_moves_the_session(db_url, real_time_cron_url, due_tomorrow, option, env):
    result = run_cli(
        "tick",
        *option,
        "--now",
        tomorrow_plus_five_minutes(),
        env={"SESSIONKEEPER_DATABASE_URL": real_time_cron_url, **env},
    )
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)
    assert counts["started"] == 1
    assert [update["id"] for update in counts["updates"]] == [due_tomorrow]
    assert status_of(db_url, due_tomorrow) == "in_progress"


def test_tick_now_in_the_past_needs_no_flag(db_url, real_time_cron_url, due_tomorrow):
    yesterday = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S%z")
    result = run_cli("tick", "--now", yesterday, env={"SESSIONKEEPER_DATABASE_URL": real_time_cron_url})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["total"] == 0
    assert status_of(db_url, due_tomorrow) == "scheduled"


def test_only_throwaway_clusters_switch_simulated_time_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "simulated_time" not in Cluster(tmp_path / "data", 54321, "sessionkeeper")._settings()
    assert "sessionkeeper.simulated_time = on" in Cluster(tmp_path / "d", 54321, "x", simulated_time=True)._settings()
    monkeypatch.setenv("SESSIONKEEPER_PGDATA", str(tmp_path / "embedded"))
    embedded = db.local_cluster()  # what `sessionkeeper db up` and `run` start
    assert not embedded.simulated_time
    assert "simulated_time" not in embedded._settings()
