"""`sessionkeeper api-token create|revoke|list` on a real database: the token is printed once and only its hash
is stored; api_token_actor knows it until it is revoked; the refusals exit 1 with their SQLSTATE. And the login
that owns the schema (as `sessionkeeper serve` connects) may run a request as sessionkeeper_app."""

from __future__ import annotations

import hashlib
import json
import re

import psycopg

from tests.helpers import run_cli
from tests.login_roles import login_in


def actor_of(conn: psycopg.Connection, token: str) -> str | None:
    digest = hashlib.sha256(token.encode()).digest()
    return conn.execute("SELECT scheduling.api_token_actor(%s)", (digest,)).fetchone()[0]


def test_create_list_revoke_round_trip(db_url, conn):
    made = run_cli("--database-url", db_url, "api-token", "create", "app1")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert made.stdout == token + "\n" and re.fullmatch(r"skt_[0-9a-f]{64}", token)
    assert made.stderr.strip() == "token for app1 shown once: it is not stored and cannot be shown again"

    # Only the hash is stored: no column of any row holds the token, nor its hex digits.
    rows = conn.execute("SELECT t::text, token_sha256 FROM scheduling.api_tokens AS t").fetchall()
    assert [digest for _, digest in rows] == [hashlib.sha256(token.encode()).digest()]
    assert not any(token in text or token[4:] in text for text, _ in rows)
    assert actor_of(conn, token) == "app1"

    listed = run_cli("--database-url", db_url, "api-token", "list")
    assert listed.returncode == 0, listed.stderr
    assert re.fullmatch(r"app1  created \S+ \S+ by \S+  active\n", listed.stdout), listed.stdout
    assert token[4:] not in listed.stdout

    twin = run_cli("--database-url", db_url, "api-token", "create", "app1")
    assert twin.returncode == 1 and twin.stdout == ""
    assert twin.stderr.strip().endswith("already exists; revoke it first [SQLSTATE SK074]"), twin.stderr

    revoked = run_cli("--database-url", db_url, "api-token", "revoke", "app1")
    assert (revoked.returncode, revoked.stdout) == (0, "revoked app1\n"), revoked.stderr
    assert actor_of(conn, token) is None

    again = run_cli("--database-url", db_url, "api-token", "revoke", "app1")
    assert again.returncode == 1
    assert again.stderr.strip() == "error: revoke_api_token: no active token named 'app1' [SQLSTATE SK075]"

    listed = run_cli("--database-url", db_url, "api-token", "list", "--json")
    [entry] = json.loads(listed.stdout)["tokens"]
    assert sorted(entry) == ["created_at", "created_by", "name", "revoked_at", "revoked_by"]
    assert entry["name"] == "app1" and entry["revoked_at"] is not None


def test_json_output_and_a_bad_name(db_url, conn):
    made = run_cli("--database-url", db_url, "api-token", "create", "app2", "--json")
    assert made.returncode == 0, made.stderr
    document = json.loads(made.stdout)
    assert sorted(document) == ["name", "token"] and document["name"] == "app2"
    assert actor_of(conn, document["token"]) == "app2"
    revoked = json.loads(run_cli("--database-url", db_url, "api-token", "revoke", "app2", "--json").stdout)
    assert sorted(revoked) == ["name", "revoked_at"]

    bad = run_cli("--database-url", db_url, "api-token", "create", "my app")
    assert bad.returncode == 1 and bad.stdout == ""
    [line] = bad.stderr.splitlines()
    assert line.startswith("error: create_api_token: a token name is 1 to 63 letters") and "[SQLSTATE SK073]" in line
    assert conn.execute("SELECT count(*) FROM scheduling.api_tokens").fetchone()[0] == 1


def test_the_owner_login_runs_a_request_as_the_app(db_url):
    """`serve` connects as a login holding sessionkeeper_owner and runs each API request as sessionkeeper_app."""
    with login_in(db_url, "sessionkeeper_owner", purpose="serve") as url, psycopg.connect(url) as conn:
        conn.execute("SET LOCAL ROLE sessionkeeper_app")
        assert conn.execute("SELECT current_user").fetchone()[0] == "sessionkeeper_app"
        assert conn.execute("SELECT scheduling.api_token_actor(NULL)").fetchone()[0] is None
        try:
            conn.execute("SELECT count(*) FROM scheduling.api_tokens")
        except psycopg.errors.InsufficientPrivilege:
            pass
        else:
            raise AssertionError("the app role read api_tokens")
