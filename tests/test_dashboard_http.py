"""`sessionkeeper serve` over plain HTTP: the routes, the operator token and CSRF (403s that change nothing), the
escaping of database text, and the server-sent events pushed by a tick's NOTIFY."""

from __future__ import annotations

import http.client
import re
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta

import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import CRON_DBNAME
from tests.dashboard_support import (
    HOSTILE_TITLE,
    TOKEN,
    add_reminder_outcome,
    add_session,
    dashboard,
    db_now,
    reminder_state,
)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def request(base: str, path: str, form: dict | None = None, cookie: str | None = None) -> tuple[int, dict, str]:
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    req = urllib.request.Request(base + path, data=data, headers={"Cookie": cookie} if cookie else {})
    try:
        with OPENER.open(req, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as answer:
        return answer.code, dict(answer.headers), answer.read().decode()


def sign_in(base: str) -> tuple[str, str]:
    """Sign in with the token; the session cookie and the page's CSRF token."""
    status, headers, _ = request(base, "/login", {"token": TOKEN})
    assert status == 303
    cookie_header = headers["Set-Cookie"]
    assert "HttpOnly" in cookie_header and "SameSite=Strict" in cookie_header
    cookie = cookie_header.split(";")[0]
    _, _, page = request(base, "/", cookie=cookie)
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
    return cookie, csrf


@pytest.fixture
def failed(conn: psycopg.Connection) -> str:
    now = db_now(conn)
    return add_reminder_outcome(conn, now, "+4915100000101", "failed", now - timedelta(hours=2))


def test_the_page_escapes_database_text_and_shows_every_part(conn, db_url, failed):
    now = db_now(conn)
    add_session(conn, HOSTILE_TITLE, timedelta(hours=2), now)
    with dashboard(db_url, token=None) as (_, base):
        status, headers, page = request(base, "/")
    assert status == 200
    assert HOSTILE_TITLE not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "script-src 'nonce-" in headers["Content-Security-Policy"]
    for part in ('id="attention"', 'id="queue"', 'id="activity-chart"', 'id="trouble"', 'id="cron"', 'id="workshops"'):
        assert part in page
    assert "not on WhatsApp" in page  # the failed reminder's error, with its reason
    assert "No pg_cron jobs to show" in page  # the test cluster's pg_cron is switched off: said, not crashed
    assert "Read-only" in page and 'action="/retry"' not in page


def test_without_a_token_nobody_signs_in_and_retry_is_refused(conn, db_url, failed):
    with dashboard(db_url, token=None) as (_, base):
        assert request(base, "/login", {"token": TOKEN})[0] == 403
        assert request(base, "/retry", {"csrf": "x", "code": ""})[0] == 403
    assert reminder_state(conn, failed) == "failed"


def test_retry_needs_the_session_and_its_own_csrf_token(conn, db_url, failed):
    with dashboard(db_url) as (_, base):
        assert request(base, "/login", {"token": "wrong-token-wrong-token"})[0] == 403
        cookie, csrf = sign_in(base)
        # No cookie, a wrong CSRF token, or no CSRF token: 403, nothing re-queued.
        assert request(base, "/retry", {"csrf": csrf, "code": ""})[0] == 403
        assert request(base, "/retry", {"csrf": "0" * len(csrf), "code": ""}, cookie=cookie)[0] == 403
        assert request(base, "/retry", {"code": ""}, cookie=cookie)[0] == 403
        assert reminder_state(conn, failed) == "failed"
        # Another code than the row's: nothing to retry.
        status, headers, _ = request(base, "/retry", {"csrf": csrf, "code": "999"}, cookie=cookie)
        assert (status, headers["Location"]) == (303, "/?retried=0#trouble")
        assert reminder_state(conn, failed) == "failed"
        status, headers, _ = request(base, "/retry", {"csrf": csrf, "code": "131026"}, cookie=cookie)
        assert (status, headers["Location"]) == (303, "/?retried=1#trouble")
        assert reminder_state(conn, failed) == "pending"
        reason = conn.execute("SELECT state_reason FROM scheduling.reminders WHERE id = %s", (failed,)).fetchone()[0]
        assert reason.startswith("re-queued by dashboard")
        # Signed out, the same cookie and token no longer act.
        assert request(base, "/logout", {"csrf": csrf}, cookie=cookie)[0] == 303
        assert request(base, "/retry", {"csrf": csrf, "code": ""}, cookie=cookie)[0] == 403


def test_the_dashboard_serves_the_database_figures_to_prometheus(conn, db_url, failed):
    with dashboard(db_url, token=None) as (_, base):
        status, headers, body = request(base, "/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    families = {family.name: family for family in text_string_to_metric_families(body)}
    assert families["sessionkeeper_database_up"].samples[0].value == 1
    depth = {sample.labels["state"]: sample.value for sample in families["sessionkeeper_reminder_queue_depth"].samples}
    assert depth["failed"] == conn.execute("SELECT failed FROM scheduling.queue_stats").fetchone()[0] >= 1
    assert all(family.documentation for family in families.values())


def test_the_pg_cron_jobs_are_listed_with_their_schedule_and_state(cron_db_url):
    with psycopg.connect(cron_db_url, autocommit=True) as conn:
        schedule = conn.execute("SELECT schedule FROM cron.job WHERE jobname = 'sessionkeeper-tick'").fetchone()[0]
    with dashboard(cron_db_url, token=None, env={"SESSIONKEEPER_CRON_DATABASE": CRON_DBNAME}) as (_, base):
        status, _headers, page = request(base, "/")
    assert status == 200
    cron = page[page.index('id="cron"') :]
    assert re.search(rf"<td>sessionkeeper-tick</td><td>{re.escape(schedule)}</td><td>active</td>", cron), cron[:2000]


def test_another_host_name_is_refused(db_url):
    with dashboard(db_url, token=None) as (_, base):
        port = urllib.parse.urlsplit(base).port
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/", headers={"Host": f"attacker.example:{port}"})
        assert connection.getresponse().status == 403


def test_the_webhook_routes_are_served_too_when_their_secret_is_set(db_url):
    with dashboard(db_url, token=None, env={"WHATSAPP_APP_SECRET": "app-secret-for-tests"}) as (_, base):
        assert request(base, "/healthz")[0] == 200
        assert request(base, "/whatsapp", {"unsigned": "body"})[0] == 403  # no X-Hub-Signature-256
        assert request(base, "/")[0] == 200
    with dashboard(db_url, token=None) as (_, base):
        assert request(base, "/whatsapp", {"unsigned": "body"})[0] == 404  # not mounted without a secret


def test_a_tick_pushes_the_new_status_as_a_server_sent_event(conn, db_url):
    now = db_now(conn)
    session = add_session(conn, "Morning yoga", timedelta(seconds=30), now)
    with dashboard(db_url, token=None) as (_, base):
        port = urllib.parse.urlsplit(base).port
        stream = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        stream.request("GET", "/events")
        response = stream.getresponse()
        assert response.getheader("Content-Type") == "text/event-stream"
        assert response.readline() == b"retry: 2000\n"
        conn.execute("SELECT scheduling.tick(%s)", (now + timedelta(seconds=31),))
        pattern = re.compile(rf'<tr id="session-{session}" class="status-(\w+)')
        shown = None
        while shown != "in_progress":  # events until the row shows the new status; each read bounded by 5 s
            event = b""
            while not event.endswith(b"\n\n"):
                event += response.readline()
            found = pattern.search(event.decode())
            shown = found.group(1) if found else shown
        stream.close()
    assert shown == "in_progress"
