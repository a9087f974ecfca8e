"""plpgsql_check over every PL/pgSQL function in schemas `scheduling` and `scheduling_internal`: no errors allowed.

sqlfluff sees a function body as one string; plpgsql_check reads it: unknown columns, wrong
types, unreachable code and dead variables are caught here rather than at 3 a.m. under pg_cron.
"""

from __future__ import annotations

import psycopg


def test_every_plpgsql_function_checks_clean(postgresql: psycopg.Connection):
    conn = postgresql
    conn.execute("CREATE EXTENSION IF NOT EXISTS plpgsql_check")
    functions = conn.execute(
        """
        SELECT p.oid, p.oid::regprocedure::text, p.prorettype = 'trigger'::regtype, n.nspname
        FROM pg_proc AS p
        JOIN pg_namespace AS n ON n.oid = p.pronamespace
        JOIN pg_language AS l ON l.oid = p.prolang
        WHERE n.nspname IN ('scheduling', 'scheduling_internal') AND l.lanname = 'plpgsql'
        ORDER BY 2
        """
    ).fetchall()
    schemas = {schema for *_, schema in functions}
    assert schemas == {"scheduling", "scheduling_internal"}, f"PL/pgSQL functions found only in {schemas}"
    problems = []
    for oid, signature, is_trigger, _ in functions:
        if is_trigger:
            relations = [
                row[0] for row in conn.execute("SELECT DISTINCT tgrelid FROM pg_trigger WHERE tgfoid = %s", (oid,))
            ]
            assert relations, f"trigger function {signature} is attached to no table"
        else:
            relations = [0]
        for relid in relations:
            for level, message, lineno in conn.execute(
                "SELECT level, message, lineno FROM plpgsql_check_function_tb(%s::regprocedure, %s::regclass) "
                "WHERE level = 'error'",
                (oid, relid),
            ):
                problems.append(f"{signature} line {lineno}: {level}: {message}")
    assert problems == []
