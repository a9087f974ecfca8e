"""docs/schema.sql is exactly the state the migrations build (see tests/schema_snapshot.py)."""

from __future__ import annotations

import difflib

import psycopg

from tests.schema_snapshot import SNAPSHOT, dump_schema


def test_the_committed_schema_is_what_the_migrations_build(db_url: str):
    built = dump_schema(db_url)
    assert "CREATE TABLE scheduling.sessions (" in built, "the dump holds the tables"
    assert "CREATE FUNCTION" not in built and "CREATE VIEW" not in built, "functions and views are left out"
    committed = SNAPSHOT.read_text()
    lines = difflib.unified_diff(committed.splitlines(True), built.splitlines(True), "docs/schema.sql", "migrated")
    difference = "".join(list(lines)[:60])
    assert built == committed, f"the migrations changed the schema: run `make schema` and commit it\n{difference}"


def test_a_change_of_state_shows_in_the_snapshot(db_url: str):
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE scheduling.sessions ADD COLUMN room text")
    assert dump_schema(db_url) != SNAPSHOT.read_text()
