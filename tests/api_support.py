"""Shared by the HTTP API's tests: a served database with something in it, tokens from the real CLI, a plain HTTP
client on 127.0.0.1, and the check of an answer against the OpenAPI document."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import psycopg

from runner.api import contract


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self) -> object:
        return json.loads(self.text)

    @property
    def code(self) -> str:
        return self.json["error"]["code"]


def call(
    base: str,
    method: str,
    path: str,
    body: object = None,
    *,
    token: str | None = None,
    raw: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """One request; ``body`` is sent as JSON, ``raw`` as it is."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    sent = {"Content-Type": "application/json", **(headers or {})}
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(base + path, data=data, method=method, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Answer(response.status, dict(response.headers), response.read().decode())
    except urllib.error.HTTPError as answer:
        return Answer(answer.code, dict(answer.headers), answer.read().decode())


def create_token(url: str, name: str) -> str:
    """A new API token (as `sessionkeeper api-token create NAME` makes it; that command has its own tests)."""
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT scheduling.create_api_token(%s)", (name,)).fetchone()[0]


def operations() -> dict[str, tuple[str, str]]:
    """Every operation of the document: operationId -> (method, path template)."""
    found = {}
    for path, item in contract.document()["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                found[operation["operationId"]] = (method.upper(), path)
    return found


def operation_of(method: str, path: str) -> str:
    """The operationId whose path template matches ``path`` (query string ignored)."""
    path = path.split("?")[0]
    for operation, (documented_method, template) in operations().items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if documented_method == method and re.match(pattern, path):
            return operation
    raise AssertionError(f"{method} {path} is in no path of the document")


def _pointer(*steps: str) -> str:
    return "".join("/" + step.replace("~", "~0").replace("/", "~1") for step in steps)


def check_against_document(method: str, path: str, answer: Answer) -> None:
    """The answer's status is documented for its operation, and its body matches the documented schema."""
    root = contract.document()
    template = operations()[operation_of(method, path)][1]
    responses = root["paths"][template][method.lower()]["responses"]
    assert str(answer.status) in responses, f"{method} {path} answered {answer.status}, not documented"
    where = _pointer("paths", template, method.lower(), "responses", str(answer.status))
    if "$ref" in responses[str(answer.status)]:
        where = responses[str(answer.status)]["$ref"][1:]
    validator = contract.validator(where + _pointer("content", "application/json", "schema"))
    problems = [f"{list(error.path)}: {error.message}" for error in validator.iter_errors(answer.json)]
    assert not problems, f"{method} {path} ({answer.status}) does not match the document: {problems}"


@dataclass
class World:
    """What the tests book against: people, a group session with 10 seats, a host for appointments, a session
    that started 10 minutes ago, and a workshop with one run of two days."""

    now: datetime
    host: str
    person: str
    others: list[str] = field(default_factory=list)
    group_session: str = ""
    started_session: str = ""
    workshop: str = ""
    workshop_sessions: list[str] = field(default_factory=list)


def person(conn: psycopg.Connection, name: str, phone: str | None) -> str:
    return str(
        conn.execute(
            "SELECT scheduling.create_person(%s, %s, 'Europe/Berlin', %s)", (name, phone, phone is not None)
        ).fetchone()[0]
    )


def session(conn: psycopg.Connection, host: str, title: str, starts: datetime, capacity: int, now: datetime) -> str:
    return str(
        conn.execute(
            "SELECT scheduling.create_session(%s, %s, %s, %s, 'Europe/Berlin', p_capacity => %s, p_now => %s)",
            (host, title, starts, starts + timedelta(hours=1), capacity, now),
        ).fetchone()[0]
    )


def build_world(conn: psycopg.Connection, others: int = 0) -> World:
    now = conn.execute("SELECT date_trunc('minute', now())").fetchone()[0]
    world = World(now=now, host=person(conn, "Hana Host", None), person=person(conn, "Ann Example", "+4915100000001"))
    world.others = [person(conn, f"Guest {n}", f"+49151{n:08d}") for n in range(2, 2 + others)]
    world.group_session = session(conn, world.host, "Group class", now + timedelta(days=2), 10, now)
    other_host = person(conn, "Otto Host", None)
    world.started_session = session(
        conn, other_host, "Started a little while ago", now - timedelta(minutes=10), 0, now - timedelta(hours=1)
    )
    third_host = person(conn, "Wanda Host", None)
    world.workshop = str(
        conn.execute(
            "SELECT scheduling.create_workshop(%s, 'Pottery weekend', p_default_capacity => 2)", (third_host,)
        ).fetchone()[0]
    )
    run = conn.execute(
        "SELECT scheduling.create_workshop_run(%s, 'June run', %s)", (world.workshop, (now + timedelta(days=4)).date())
    ).fetchone()[0]
    for day in (1, 2):
        starts = now + timedelta(days=3 + day)
        world.workshop_sessions.append(
            str(
                conn.execute(
                    "SELECT scheduling.add_workshop_session(%s, %s, %s, %s, p_now => %s)",
                    (run, day, starts, starts + timedelta(hours=3), now),
                ).fetchone()[0]
            )
        )
    return world
