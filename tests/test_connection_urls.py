"""Multi-host database URLs in runner.db: the hosts shown in messages, the read-write target added when several
hosts are named, redaction, and the one line for "no host accepts writes" (no server needed)."""

from __future__ import annotations

import psycopg
import pytest

from runner import db

TWO = "postgresql://u:s3cret@127.0.0.1:5433,127.0.0.1:5434/db"
NONE_WRITABLE = "no host in 127.0.0.1:5433,127.0.0.1:5434 accepts writes (all are standbys or unreachable)"


@pytest.mark.parametrize(
    ("url", "hosts"),
    [
        (TWO, ["127.0.0.1:5433", "127.0.0.1:5434"]),
        ("postgresql://u@h1,h2:5434/db", ["h1", "h2:5434"]),
        ("host=a,b port=7 dbname=x", ["a:7", "b:7"]),
        ("postgresql://u@h1/db", ["h1"]),
        ("not a url", []),
    ],
)
def test_hosts(url, hosts):
    assert db.hosts(url) == hosts


def test_several_hosts_get_the_read_write_target():
    assert db.for_writing(TWO) == TWO + "?target_session_attrs=read-write"
    assert db.for_writing(TWO + "?sslmode=disable") == TWO + "?sslmode=disable&target_session_attrs=read-write"
    assert db.for_writing("host=a,b dbname=x") == "host=a,b dbname=x target_session_attrs=read-write"
    chosen = TWO + "?target_session_attrs=any"
    assert db.for_writing(chosen) == chosen, "an explicit choice stands"
    assert db.for_writing("postgresql://u@h1/db") == "postgresql://u@h1/db", "one host: nothing to choose"
    assert db.for_writing("not a url") == "not a url", "connect reports a bad URL"


def test_redaction_of_multi_host_urls_and_connection_strings():
    assert db.redact(TWO) == "postgresql://u:***@127.0.0.1:5433,127.0.0.1:5434/db"
    assert db.redact(TWO + "?password=x&sslmode=disable").endswith("?password=***&sslmode=disable")
    assert db.redact("host=a,b password='p w' dbname=x") == "host=a,b password=*** dbname=x"


def attempts(*reasons: str) -> psycopg.OperationalError:
    """The error psycopg raises when every host of a URL failed, one line per host."""
    lines = [f"- host: '127.0.0.1', port: '{5433 + i}', hostaddr: None: {r}" for i, r in enumerate(reasons)]
    return psycopg.OperationalError("\n".join([reasons[-1], "Multiple connection attempts failed.", *lines]))


def test_no_writable_host_is_one_line():
    url = db.for_writing(TWO)
    problem = attempts("connection failed: ... failed: session is read-only", "connection failed: Connection refused")
    assert db.reason(url, problem) == NONE_WRITABLE
    assert db.unavailable(url, problem) == NONE_WRITABLE
    assert db.unavailable(url, db.NoWritableHost(NONE_WRITABLE)) == NONE_WRITABLE


def test_other_refusals_keep_their_own_words():
    url = db.for_writing(TWO)
    wrong = attempts("connection failed: Connection refused", "FATAL:  password authentication failed for user")
    assert db.no_writable_host(url, wrong) is None
    assert db.unavailable(url, wrong) == "database unavailable (FATAL:  password authentication failed for user)"
    # Without the read-write target (an explicit `any`) a standby is a fine place to land: no such verdict.
    assert db.no_writable_host(TWO + "?target_session_attrs=any", attempts("Connection refused", "refused")) is None
