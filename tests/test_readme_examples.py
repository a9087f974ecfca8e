"""The README's examples run as written, top to bottom, against a freshly migrated database.

Every ```sql block runs in one psql session as the superuser, the way a DBA reads the README and pastes each block
in turn (so a variable one block keeps with \\gset is there for the next); a block marked to run in pg_cron's database
gets a psql of its own there. Every ```sh and ```bash block runs in `bash -e` in the checkout, with this
environment's `sessionkeeper` on PATH and SESSIONKEEPER_DATABASE_URL naming the same database. Each must succeed and
print something. Only blocks that start a long-running process are skipped (tests/readme_examples.py says how
blocks are told apart, and refuses any it cannot run).

The examples must not rely on the test cluster's postgresql.conf, which switches simulated time on: psql and the
CLI run with `sessionkeeper.simulated_time=off`, so a block that writes at a future time works only when it switches
simulated time on itself, as the README tells a reader to. The roles and the database the setup blocks create are
dropped afterwards: they belong to the whole cluster, which other tests share.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from runner.cluster import Cluster
from tests.helpers import PROJECT, psql_program
from tests.readme_examples import Block, ExampleError, Way, blocks

README = PROJECT / "README.md"
BLOCK_TIMEOUT_SECONDS = 120
SIMULATED_TIME_OFF = "-c sessionkeeper.simulated_time=off"


def readme_blocks() -> list[Block]:
    return blocks(README.read_text())


def example_environment(url: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PGOPTIONS")}
    environment.update(
        PATH=os.pathsep.join([str(Path(sys.executable).parent), str(PROJECT / ".venv" / "bin"), os.environ["PATH"]]),
        SESSIONKEEPER_DATABASE_URL=url,
        PGOPTIONS=SIMULATED_TIME_OFF,
    )
    return environment


class PsqlSession:
    """One interactive-style psql fed block by block; each block's output is read up to a marker echoed after it.
    With ON_ERROR_STOP a failing statement ends psql, so the marker never comes: that block failed."""

    def __init__(self, url: str, environment: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [psql_program(), "-X", "-v", "ON_ERROR_STOP=1", "-d", url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=environment,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def run(self, script: str) -> tuple[bool, str]:
        """(whether every statement succeeded, what psql printed)."""
        marker = f"-- end of block {uuid.uuid4()}"
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(f"{script}\n\\echo '{marker}'\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            return False, "psql had already exited"
        output: list[str] = []
        while True:
            try:
                line = self.lines.get(timeout=BLOCK_TIMEOUT_SECONDS)
            except queue.Empty:
                return False, "".join(output) + f"\n(no end after {BLOCK_TIMEOUT_SECONDS} s)"
            if line is None:
                return False, "".join(output)
            if line.rstrip("\n") == marker:
                return True, "".join(output)
            output.append(line)

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def run_psql_once(url: str, script: str, environment: dict[str, str]) -> tuple[bool, str]:
    result = subprocess.run(
        [psql_program(), "-X", "-v", "ON_ERROR_STOP=1", "-d", url],
        input=script,
        capture_output=True,
        text=True,
        env=environment,
        timeout=BLOCK_TIMEOUT_SECONDS,
    )
    return result.returncode == 0, result.stdout + result.stderr


def run_bash(script: str, environment: dict[str, str]) -> tuple[bool, str]:
    result = subprocess.run(
        ["bash", "-e", "-c", script],
        capture_output=True,
        text=True,
        env=environment,
        cwd=PROJECT,
        timeout=BLOCK_TIMEOUT_SECONDS,
    )
    return result.returncode == 0, result.stdout + result.stderr


def cluster_objects(admin: psycopg.Connection) -> tuple[set[str], set[str]]:
    roles = {name for (name,) in admin.execute("SELECT rolname FROM pg_roles")}
    databases = {name for (name,) in admin.execute("SELECT datname FROM pg_database")}
    return roles, databases


@pytest.fixture
def readme_database(db_url: str, cron_db_url: str, cluster: Cluster) -> Iterator[str]:
    """This test's migrated database; afterwards, the roles and databases the examples made are dropped again."""
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as admin:
        roles_before, databases_before = cluster_objects(admin)
    yield db_url
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as admin:
        roles_after, databases_after = cluster_objects(admin)
        for database in sorted(databases_after - databases_before):
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(database)))
        new_roles = sorted(roles_after - roles_before)
        if not new_roles:
            return
        holding = admin.execute(
            "SELECT DISTINCT d.datname FROM pg_shdepend AS s INNER JOIN pg_database AS d ON s.dbid = d.oid "
            "WHERE s.refclassid = 'pg_authid'::regclass "
            "AND s.refobjid IN (SELECT r.oid FROM pg_roles AS r WHERE r.rolname = ANY(%s))",
            (new_roles,),
        ).fetchall()
        role_list = sql.SQL(", ").join(map(sql.Identifier, new_roles))
        for (database,) in holding:
            with psycopg.connect(cluster.url(database), autocommit=True) as there:
                there.execute(sql.SQL("DROP OWNED BY {}").format(role_list))
        admin.execute(sql.SQL("DROP ROLE {}").format(role_list))


def test_every_block_has_a_way_to_run_and_only_long_running_ones_are_skipped() -> None:
    ways = [block.way() for block in readme_blocks()]
    assert Way.PSQL in ways and Way.BASH in ways
    # A short list, each entry checked to start a long-running process: make run/test, the second terminal that
    # watches what `make run` does, the webhook and the dashboard.
    assert ways.count(Way.SKIP) <= 4, [block.line for block in readme_blocks() if block.way() is Way.SKIP]


@pytest.mark.parametrize(
    "markdown",
    [
        pytest.param("<!-- example: run it twice -->\n```sql\nSELECT 1;\n```\n", id="unknown directive"),
        pytest.param("```\nSELECT 1;\n```\n", id="no language"),
        pytest.param("```python\nprint(1)\n```\n", id="unknown language"),
        pytest.param("<!-- example: skip (starts a long-running process) -->\n```sh\nls\n```\n", id="needless skip"),
        pytest.param("```sh\nsessionkeeper --lanes 2 worker\n```\n", id="long-running, not skipped"),
        pytest.param("```bash\nmake test\n```\n", id="make test, not skipped"),
        pytest.param("<!-- example: as superuser in pg_cron's database -->\n```sh\nls\n```\n", id="psql for sh"),
        pytest.param("<!-- example: skip (starts a long-running process) -->\n\ntext\n", id="dangling directive"),
        pytest.param("```sql\nSELECT 1;\n", id="unclosed block"),
    ],
)
def test_a_block_it_cannot_run_or_a_directive_it_does_not_know_fails(markdown: str) -> None:
    with pytest.raises(ExampleError):
        for block in blocks(markdown):
            block.way()


def test_the_readme_examples_run_in_order(readme_database: str) -> None:
    url = readme_database
    environment = example_environment(url)
    with psycopg.connect(url) as conn:
        cron_database = conn.execute("SHOW cron.database_name").fetchone()[0]
    cron_url = url.rsplit("/", 1)[0] + "/" + cron_database
    dba = PsqlSession(url, environment)
    ran: list[Block] = []
    try:
        # The examples see simulated time off, whatever the test cluster's postgresql.conf says.
        ok, output = dba.run("SHOW sessionkeeper.simulated_time;")
        assert ok and output.split()[2] == "off", output
        for block in readme_blocks():
            way = block.way()
            if way is Way.PSQL:
                ok, output = dba.run(block.text)
            elif way is Way.PSQL_IN_CRON_DATABASE:
                ok, output = run_psql_once(cron_url, block.text, environment)
            elif way is Way.BASH:
                ok, output = run_bash(block.text, environment)
            else:
                continue
            where = f"README.md line {block.line} (```{block.language})"
            assert ok, f"{where} failed:\n{block.text}--- it printed:\n{output}"
            assert output.strip(), f"{where} printed nothing:\n{block.text}"
            ran.append(block)
    finally:
        dba.close()
    assert {block.language for block in ran} >= {"sql", "bash"}, ran


def test_the_server_settings_shown_are_real_settings(cluster: Cluster) -> None:
    settings = [
        line.split("#", 1)[0].split("=", 1)[0].strip()
        for block in readme_blocks()
        if block.language == "ini"
        for line in block.text.splitlines()
        if line.split("#", 1)[0].strip()
    ]
    assert settings, "README.md shows no postgresql.conf settings"
    with psycopg.connect(cluster.url("postgres")) as conn:
        known = {name for (name,) in conn.execute("SELECT name FROM pg_settings")}
    assert [name for name in settings if name not in known] == []
