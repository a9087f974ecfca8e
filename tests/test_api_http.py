"""The HTTP API of `sessionkeeper serve`, over real HTTP on 127.0.0.1: every documented route answers as the OpenAPI
document says, tokens (none, unknown, revoked), every class of error in one shape with nothing written, the
idempotency key, and the application role each request runs as."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from uuid import uuid4

import pytest
from openapi_spec_validator import validate

from runner.api import contract
from tests.api_support import (
    build_world,
    call,
    check_against_document,
    create_token,
    operation_of,
    operations,
    person,
    session,
)
from tests.dashboard_support import dashboard
from tests.helpers import fingerprint, fingerprint_query, run_cli
from tests.processes import output_of, wait_for


@pytest.fixture
def served(db_url):
    """`serve` on this test's database: (base URL, the process)."""
    with dashboard(db_url, token=None) as (process, base):
        yield base, process


def test_the_document_is_valid_openapi_and_served_as_it_is(served):
    base, _ = served
    validate(contract.document())
    answer = call(base, "GET", "/openapi.json")
    assert answer.status == 200
    assert answer.json == contract.document()


def test_every_documented_operation_answers_as_documented(conn, db_url, served):
    base, _ = served
    token = create_token(db_url, "front-desk")
    world = build_world(conn)
    exercised: set[str] = set()

    def api(method: str, path: str, body: object = None, expect: int = 200):
        answer = call(base, method, path, body, token=token)
        assert answer.status == expect, answer.text
        check_against_document(method, path, answer)
        exercised.add(operation_of(method, path))
        return answer.json

    assert api("GET", "/health") == {"status": "ok"}
    api("GET", "/openapi.json")

    seat = api("POST", "/api/bookings", {"session_id": world.group_session, "person_id": world.person}, 201)
    assert seat["session"]["session_id"] == world.group_session
    assert seat["session"]["current_attendees"] == 1 and seat["session"]["seats_left"] == 9
    assert seat["reminders"], "a person with consent gets reminders planned at booking"
    booking = seat["booking"]["id"]
    assert api("GET", f"/api/bookings/{booking}") == seat
    reminders = api("GET", f"/api/bookings/{booking}/reminders")
    assert reminders["booking_id"] == booking
    assert [r["reminder_key"] for r in reminders["reminders"]] == [r["reminder_key"] for r in seat["reminders"]]

    starts = world.now + timedelta(days=5, hours=1)
    appointment = api(
        "POST",
        "/api/bookings",
        {
            "host_id": world.host,
            "person_id": world.person,
            "service": "Haircut",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(minutes=30)).isoformat(),
            "outside_working_hours": True,
        },
        201,
    )
    moved_to = starts + timedelta(days=1)
    moved = api(
        "PATCH",
        f"/api/bookings/{appointment['booking']['id']}",
        {"starts_at": moved_to.isoformat(), "ends_at": (moved_to + timedelta(minutes=30)).isoformat()},
    )
    assert moved["session"]["starts_at"] != appointment["session"]["starts_at"]
    assert {r["reminder_key"] for r in moved["reminders"] if r["state"] == "pending"} != {
        r["reminder_key"] for r in appointment["reminders"] if r["state"] == "pending"
    }, "the reminders are planned again for the new time"

    cancelled = api("DELETE", f"/api/bookings/{appointment['booking']['id']}?reason=ill")
    assert cancelled["booking"]["status"] == "cancelled"
    assert any(r["kind"] == "cancellation" for r in cancelled["reminders"]), "the cancellation message is queued"

    stats = api("GET", "/api/queue/stats")
    assert stats["waiting"] + stats["delayed"] >= 1

    window = f"from={(world.now - timedelta(hours=1)).isoformat()}&to={(world.now + timedelta(days=3)).isoformat()}"
    listed = api("GET", "/api/sessions?" + window.replace("+", "%2B"))["sessions"]
    assert {world.group_session, world.started_session} <= {s["session_id"] for s in listed}
    assert [s["starts_at"] for s in listed] == sorted(s["starts_at"] for s in listed)
    assert api("GET", f"/api/sessions/{world.group_session}")["seats_left"] == 9

    assert api("POST", f"/api/sessions/{world.started_session}/start")["session_status"] == "in_progress"
    assert api("POST", f"/api/sessions/{world.started_session}/complete")["session_status"] == "completed"
    assert (
        api("POST", f"/api/sessions/{world.group_session}/cancel", {"reason": "teacher ill"})["session_status"]
        == "cancelled"
    )
    late = session(conn, world.host, "Nobody came", world.now - timedelta(minutes=5), 1, world.now - timedelta(hours=1))
    assert api("POST", f"/api/sessions/{late}/no-show", {})["session_status"] == "no_show"

    whole = api(
        "POST",
        f"/api/workshops/{world.workshop}/enroll",
        {"person_id": world.person, "session_id": world.workshop_sessions[0], "whole_run": True},
        201,
    )
    assert sorted(e["session_id"] for e in whole["enrollments"]) == sorted(world.workshop_sessions)
    assert {e["outcome"] for e in whole["enrollments"]} == {"confirmed"}
    someone = person(conn, "Nina Next", "+4915100000077")
    next_one = api("POST", f"/api/workshops/{world.workshop}/enroll", {"person_id": someone}, 201)
    assert [e["session_id"] for e in next_one["enrollments"]] == [world.workshop_sessions[0]]
    availability = api("GET", f"/api/workshops/{world.workshop}/availability")
    seats = {s["session_id"]: s["seats_left"] for run in availability["runs"] for s in run["sessions"]}
    assert seats == {world.workshop_sessions[0]: 0, world.workshop_sessions[1]: 1}

    assert exercised == set(operations()), f"not exercised: {set(operations()) - exercised}"


def test_writes_are_recorded_under_the_token_name(conn, db_url, served):
    base, _ = served
    token = create_token(db_url, "kiosk-7")
    world = build_world(conn)
    booked = call(
        base, "POST", "/api/bookings", {"session_id": world.group_session, "person_id": world.person}, token=token
    )
    assert booked.status == 201
    call(base, "POST", f"/api/sessions/{world.started_session}/start", token=token)
    booking_actors = conn.execute(
        "SELECT array_agg(DISTINCT actor) FROM scheduling.booking_status_history WHERE booking_id = %s",
        (booked.json["booking"]["id"],),
    ).fetchone()[0]
    session_actor = conn.execute(
        "SELECT actor FROM scheduling.session_status_history WHERE session_id = %s ORDER BY happened_at DESC LIMIT 1",
        (world.started_session,),
    ).fetchone()[0]
    assert booking_actors == ["kiosk-7"] and session_actor == "kiosk-7"


def test_no_token_a_wrong_one_and_a_revoked_one_are_refused_and_change_nothing(conn, db_url, served):
    base, process = served
    token = create_token(db_url, "to-be-revoked")
    world = build_world(conn)
    body = {"session_id": world.group_session, "person_id": world.person}
    query = fingerprint_query(conn)
    before = fingerprint(conn, query)
    assert run_cli("api-token", "revoke", "to-be-revoked", env={"SESSIONKEEPER_DATABASE_URL": db_url}).returncode == 0
    before = fingerprint(conn, query)
    for headers in ({}, {"Authorization": "Bearer skt_" + "0" * 64}, {"Authorization": f"Bearer {token}"},
                    {"Authorization": f"Basic {token}"}, {"Authorization": "Bearer "}):  # fmt: skip
        answer = call(base, "POST", "/api/bookings", body, headers=headers)
        assert answer.status == 401, (headers, answer.text)
        assert answer.code == "SK079"
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        check_against_document("POST", "/api/bookings", answer)
    assert call(base, "GET", "/api/queue/stats").status == 401
    assert fingerprint(conn, query) == before
    assert token not in output_of(process)
    stored = conn.execute("SELECT string_agg(t::text, ' ') FROM scheduling.api_tokens AS t").fetchone()[0]
    assert token not in stored


@pytest.fixture
def api(conn, db_url, served):
    base, _ = served
    token = create_token(db_url, "tests")
    world = build_world(conn)
    query = fingerprint_query(conn)

    def send(method, path, body=None, **kwargs):
        return call(base, method, path, body, token=token, **kwargs)

    return send, world, query


def refused(conn, query, send, method, path, body=None, **kwargs):
    """The answer to a request that must change nothing (and is documented with its status)."""
    before = fingerprint(conn, query)
    answer = send(method, path, body, **kwargs)
    assert fingerprint(conn, query) == before, f"{method} {path} changed something"
    assert set(answer.json) == {"error"} and set(answer.json["error"]) == {"code", "message"}
    assert answer.headers["Content-Type"].startswith("application/json")
    return answer


def test_every_class_of_error_has_its_status_and_code_and_changes_nothing(conn, api):
    send, world, query = api
    seat = {"session_id": world.group_session, "person_id": world.person}
    assert send("POST", "/api/bookings", seat).status == 201
    booking = send("GET", f"/api/sessions/{world.group_session}").json
    cases = [
        # 404: nothing by that id, also when the id is no UUID at all
        ("GET", f"/api/bookings/{uuid4()}", None, {}, 404, "SK010"),
        ("GET", "/api/bookings/not-a-uuid/reminders", None, {}, 404, "SK010"),
        ("GET", f"/api/sessions/{uuid4()}", None, {}, 404, "SK001"),
        ("POST", "/api/sessions/42/start", None, {}, 404, "SK001"),
        ("GET", f"/api/workshops/{uuid4()}/availability", None, {}, 404, "SK028"),
        ("POST", f"/api/workshops/{uuid4()}/enroll", {"person_id": world.person}, {}, 404, "SK028"),
        (
            "POST",
            f"/api/workshops/{world.workshop}/enroll",
            {"person_id": world.person, "session_id": world.group_session},
            {},
            404,
            "SK001",
        ),
        ("POST", "/api/bookings", {**seat, "session_id": str(uuid4())}, {}, 404, "SK001"),
        ("POST", "/api/bookings", {**seat, "person_id": str(uuid4())}, {}, 404, "SK007"),
        ("DELETE", f"/api/bookings/{uuid4()}", None, {}, 404, "SK010"),
        ("GET", "/api/nothing-here", None, {}, 404, "SK084"),
        # 405: a known path, another method
        ("PUT", "/api/bookings", seat, {}, 405, "SK084"),
        # 409: the state refuses it
        ("POST", "/api/bookings", seat, {}, 409, "SK011"),
        ("POST", f"/api/sessions/{world.group_session}/complete", None, {}, 409, "SK003"),
        ("POST", f"/api/sessions/{world.group_session}/no-show", None, {}, 409, "SK008"),
        # 422: the input is refused, by the document or by the database
        ("POST", "/api/bookings", None, {"raw": b'{"session_id": '}, 422, "SK080"),
        ("POST", "/api/bookings", None, {"raw": b"\xff\xfe"}, 422, "SK080"),
        ("POST", "/api/bookings", None, {"raw": b'{"session_id": NaN}'}, 422, "SK080"),
        ("POST", "/api/bookings", None, {"raw": b""}, 422, "SK080"),
        ("POST", "/api/bookings", None, {"raw": b"[" * 60_000 + b"]" * 60_000}, 413, "SK082"),
        ("POST", "/api/bookings", None, {"raw": b"[" * 30_000 + b"]" * 30_000}, 422, "SK080"),
        ("POST", "/api/bookings", {**seat, "order_reference": "a\u0000b"}, {}, 422, "SK081"),
        ("POST", "/api/bookings", [seat], {}, 422, "SK081"),
        ("POST", "/api/bookings", {**seat, "seats": 2}, {}, 422, "SK081"),
        ("POST", "/api/bookings", {**seat, "session_id": 7}, {}, 422, "SK081"),
        ("POST", "/api/bookings", {**seat, "session_id": "seven"}, {}, 422, "SK081"),
        ("POST", "/api/bookings", {"person_id": world.person}, {}, 422, "SK081"),
        ("POST", "/api/bookings", {**seat, "order_reference": "x" * 201}, {}, 422, "SK081"),
        (
            "POST",
            "/api/bookings",
            {
                "host_id": world.host,
                "person_id": world.person,
                "service": "Cut",
                "starts_at": "tomorrow",
                "ends_at": "2030-01-01T10:00:00Z",
            },
            {},
            422,
            "SK081",
        ),
        (
            "POST",
            "/api/bookings",
            {
                "host_id": world.host,
                "person_id": world.person,
                "service": "Cut",
                "starts_at": "2030-01-01T10:00:00",
                "ends_at": "2030-01-01T11:00:00",
            },
            {},
            422,
            "SK081",
        ),
        (
            "POST",
            "/api/bookings",
            {
                "host_id": world.host,
                "person_id": world.person,
                "service": "Cut",
                "starts_at": "2030-01-01T11:00:00Z",
                "ends_at": "2030-01-01T10:00:00Z",
                "outside_working_hours": True,
            },
            {},
            422,
            "SK004",
        ),
        ("POST", f"/api/sessions/{world.started_session}/start", {"force": True}, {}, 422, "SK081"),
        ("DELETE", f"/api/bookings/{uuid4()}?reason=a", {"reason": "b"}, {}, 422, "SK081"),
        ("GET", "/api/sessions?from=2030-01-01T00:00:00Z", None, {}, 422, "SK081"),
        ("GET", "/api/sessions?from=yesterday&to=2030-01-01T00:00:00Z", None, {}, 422, "SK081"),
        ("GET", "/api/sessions?from=2030-02-01T00:00:00Z&to=2030-01-01T00:00:00Z", None, {}, 422, "SK078"),
        ("GET", "/api/sessions?from=2030-01-01T00:00:00Z&to=2031-01-01T00:00:00Z", None, {}, 422, "SK078"),
        # 413: too large to read
        ("POST", "/api/bookings", {**seat, "order_reference": "x" * 70_000}, {}, 413, "SK082"),
        ("PATCH", f"/api/bookings/{uuid4()}", None, {"raw": b" " * (64 * 1024 + 1)}, 413, "SK082"),
    ]
    for method, path, body, extra, status, code in cases:
        answer = refused(conn, query, send, method, path, body, **extra)
        assert (answer.status, answer.code) == (status, code), (method, path, body, extra, answer.text)
        if not path.startswith("/api/nothing") and method != "PUT":
            check_against_document(method, path, answer)
    assert send("GET", f"/api/sessions/{world.group_session}").json == booking


def test_a_full_session_is_409_sk012(conn, api):
    send, world, query = api
    small = session(conn, world.host, "One seat", world.now + timedelta(days=6), 1, world.now)
    assert send("POST", "/api/bookings", {"session_id": small, "person_id": world.person}).status == 201
    other = person(conn, "Olga Other", "+4915100000555")
    answer = refused(conn, query, send, "POST", "/api/bookings", {"session_id": small, "person_id": other})
    assert (answer.status, answer.code) == (409, "SK012")
    assert "full" in answer.json["error"]["message"]


def test_the_idempotency_key_returns_the_first_answer_and_refuses_another_body(conn, api):
    send, world, query = api
    body = {"session_id": world.group_session, "person_id": world.person}
    key = {"Idempotency-Key": "order-4711"}
    first = send("POST", "/api/bookings", body, headers=key)
    assert first.status == 201 and "Idempotent-Replayed" not in first.headers
    again = send("POST", "/api/bookings", dict(reversed(list(body.items()))), headers=key)
    assert (again.status, again.json, again.headers["Idempotent-Replayed"]) == (201, first.json, "true")
    other = person(conn, "Paul Other", "+4915100000666")
    changed = refused(conn, query, send, "POST", "/api/bookings", {**body, "person_id": other}, headers=key)
    assert (changed.status, changed.code) == (422, "SK076")
    for bad in ("", "x" * 256):
        answer = refused(conn, query, send, "POST", "/api/bookings", body, headers={"Idempotency-Key": bad})
        assert (answer.status, answer.code) == (422, "SK077")
    count = conn.execute("SELECT count(*) FROM scheduling.bookings WHERE session_id = %s", (world.group_session,))
    assert count.fetchone()[0] == 1

    # The same new key sent ten times at once: one booking, ten identical answers.
    racer = person(conn, "Rita Racer", "+4915100000777")
    race = {"session_id": world.group_session, "person_id": racer}
    with ThreadPoolExecutor(10) as pool:
        answers = list(
            pool.map(lambda _: send("POST", "/api/bookings", race, headers={"Idempotency-Key": "r"}), range(10))
        )
    assert {a.status for a in answers} == {201}
    assert len({json.dumps(a.json, sort_keys=True) for a in answers}) == 1
    booked = conn.execute(
        "SELECT count(*) FROM scheduling.bookings WHERE session_id = %s AND person_id = %s",
        (world.group_session, racer),
    )
    assert booked.fetchone()[0] == 1


def test_an_error_is_not_remembered_under_its_key(conn, api):
    send, world, _ = api
    body = {"session_id": world.group_session, "person_id": str(uuid4())}
    assert send("POST", "/api/bookings", body, headers={"Idempotency-Key": "k1"}).status == 404
    body["person_id"] = world.person
    assert send("POST", "/api/bookings", body, headers={"Idempotency-Key": "k1"}).status == 201


def test_requests_run_as_the_application_role(conn, api, served):
    send, world, query = api
    create_booking = "FUNCTION scheduling.create_booking(uuid, uuid, text, text, timestamptz)"
    conn.execute(f"REVOKE EXECUTE ON {create_booking} FROM sessionkeeper_app")
    try:
        answer = refused(
            conn, query, send, "POST", "/api/bookings", {"session_id": world.group_session, "person_id": world.person}
        )
    finally:
        conn.execute(f"GRANT EXECUTE ON {create_booking} TO sessionkeeper_app")
    assert (answer.status, answer.code) == (500, "SK085"), "the serving login (a superuser here) could have booked"
    assert "permission" not in answer.text, "the database's words stay in the server's log"
    logged = wait_for(lambda: "permission denied" in output_of(served[1]) and output_of(served[1]), "the log line")
    assert "POST /api/bookings failed" in logged and "Traceback" in logged


def test_an_owner_login_that_is_no_superuser_serves_the_api(conn, db_url):
    conn.execute("CREATE ROLE api_login LOGIN PASSWORD 'api-login-password' IN ROLE sessionkeeper_owner")
    owner_url = db_url.replace(conn.info.user + ":" + conn.info.password, "api_login:api-login-password")
    token = create_token(db_url, "owner-login")
    world = build_world(conn)
    with dashboard(owner_url, token=None) as (_, base):
        answer = call(
            base, "POST", "/api/bookings", {"session_id": world.group_session, "person_id": world.person}, token=token
        )
    assert answer.status == 201, answer.text


def test_an_unreachable_database_is_503():
    from runner.scratch import free_loopback_port

    dead = f"postgresql://postgres:x@127.0.0.1:{free_loopback_port()}/nothing"
    with dashboard(dead, token=None) as (_, base):
        health = call(base, "GET", "/health")
        booking = call(
            base, "POST", "/api/bookings", {"session_id": str(uuid4()), "person_id": str(uuid4())}, token="t"
        )
        document = call(base, "GET", "/openapi.json")
    assert (health.status, health.code) == (503, "SK083")
    assert health.headers["Retry-After"] == "5"
    assert (booking.status, booking.code) == (503, "SK083")
    assert document.status == 200
    check_against_document("GET", "/health", health)


def test_connections_the_database_dropped_are_replaced_without_an_error(conn, api):
    send, world, _ = api
    assert send("GET", "/api/queue/stats").status == 200
    with ThreadPoolExecutor(4) as pool:  # a few pooled connections at once
        assert {a.status for a in pool.map(lambda _: send("GET", "/api/queue/stats"), range(8))} == {200}
    dropped = conn.execute(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
    ).fetchone()[0]
    assert dropped >= 2
    answer = send("POST", "/api/bookings", {"session_id": world.group_session, "person_id": world.person})
    assert answer.status == 201, answer.text
