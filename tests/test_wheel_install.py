"""Installed the way users install it: a wheel built from this checkout, in a fresh virtual environment, run from a
folder that has nothing to do with the checkout. Its `migrate` must build the same database the checkout builds.

The fresh environment installs the wheel's dependencies from the package index, as `pip install` would.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from runner.migrate import read_migrations, read_repeatables
from runner.scratch import free_loopback_port
from tests.helpers import PROJECT

PIP_WHEEL = [sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check", "--no-deps"]
# Every object of the three schemas, by kind and signature: what "the same database" means here.
CATALOGUE = """
SELECT 'relation', n.nspname || '.' || c.relname || ':' || c.relkind::text
FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname IN ('scheduling', 'sessionkeeper_meta')
UNION ALL
SELECT 'function', p.oid::regprocedure::text
FROM pg_proc AS p
WHERE p.pronamespace IN ('scheduling'::regnamespace, 'scheduling_internal'::regnamespace,
                         'sessionkeeper_meta'::regnamespace)
UNION ALL
SELECT 'trigger', t.tgrelid::regclass::text || '.' || t.tgname
FROM pg_trigger AS t JOIN pg_class AS c ON c.oid = t.tgrelid
WHERE NOT t.tgisinternal AND c.relnamespace IN ('scheduling'::regnamespace, 'sessionkeeper_meta'::regnamespace)
UNION ALL
SELECT 'type', t.oid::regtype::text
FROM pg_type AS t WHERE t.typnamespace = 'scheduling'::regnamespace AND t.typtype IN ('e', 'd', 'c')
UNION ALL
SELECT 'ledger', version::text || ' ' || filename FROM sessionkeeper_meta.migrations
UNION ALL
SELECT 'declared job', jobname || ' ' || schedule FROM sessionkeeper_meta.cron_jobs
ORDER BY 1, 2
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from the checkout, as `pip wheel .` builds it."""
    folder = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [*PIP_WHEEL, "--wheel-dir", str(folder), str(PROJECT)],
        check=True,
        timeout=600,
    )
    (built,) = folder.glob("sessionkeeper-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The `sessionkeeper` command of the wheel installed into a new virtual environment."""
    quiet = ["--quiet", "--disable-pip-version-check"]
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys._base_executable, "-m", "venv", str(venv)], check=True, timeout=300)
    subprocess.run([str(venv / "bin" / "pip"), "install", *quiet, str(wheel)], check=True, timeout=600)
    yield venv / "bin" / "sessionkeeper"


def run_installed(command: Path, *args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # Nothing of the checkout or of the test session's settings leaks in.
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SESSIONKEEPER_", "PYTHON", "VIRTUAL_ENV"))}
    clean.pop("DATABASE_URL", None)
    return subprocess.run(
        [str(command), *args], capture_output=True, text=True, cwd=cwd, env={**clean, **env}, timeout=300
    )


def test_the_wheel_carries_every_sql_file_and_every_module(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for sql_file in [*read_migrations(PROJECT), *read_repeatables(PROJECT)]:
        assert f"runner/schema/{sql_file.relpath}" in names, sql_file.relpath
    for module in PROJECT.joinpath("runner").rglob("*.py"):
        assert module.relative_to(PROJECT).as_posix() in names, module
    # The dashboard's templates travel with its code.
    templates = list(PROJECT.joinpath("runner", "dashboard", "templates").glob("*.html"))
    assert templates
    for template in templates:
        assert template.relative_to(PROJECT).as_posix() in names, template
    # So does the HTTP API's OpenAPI document, which its request checks read.
    assert "runner/api/openapi.json" in names


def test_installed_migrate_from_another_folder_builds_what_the_checkout_builds(
    installed, empty_db_url, db_url, tmp_path
):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"SESSIONKEEPER_DATABASE_URL": empty_db_url, "SESSIONKEEPER_CRON_DATABASE": "none"}
    result = run_installed(installed, "migrate", cwd=elsewhere, env=env)
    assert result.returncode == 0, result.stderr
    assert f"applied migrations/{read_migrations(PROJECT)[0].relpath.split('/')[-1]}" in result.stdout
    with psycopg.connect(empty_db_url) as fresh, psycopg.connect(db_url) as checkout:
        assert fresh.execute(CATALOGUE).fetchall() == checkout.execute(CATALOGUE).fetchall()
    status = run_installed(installed, "migrate", "status", cwd=elsewhere, env=env)
    assert status.returncode == 0, status.stderr
    assert "pending" not in status.stdout and "changed" not in status.stdout
    assert status.stdout.count("up to date") == len(read_repeatables(PROJECT))
    assert not (elsewhere / ".pgdata").exists()


def test_an_empty_migration_set_is_an_error_not_up_to_date(installed, empty_db_url, tmp_path):
    empty = tmp_path / "empty-project"
    (empty / "migrations").mkdir(parents=True)
    env = {"SESSIONKEEPER_DATABASE_URL": empty_db_url, "SESSIONKEEPER_PROJECT_DIR": str(empty)}
    result = run_installed(installed, "migrate", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: no migrations found in {empty / 'migrations'}: this installation is incomplete "
        "(reinstall sessionkeeper, or point SESSIONKEEPER_PROJECT_DIR at a checkout)"
    ]
    assert "up to date" not in result.stdout
    with psycopg.connect(empty_db_url) as conn:
        assert conn.execute("SELECT to_regnamespace('sessionkeeper_meta')").fetchone() == (None,)


def test_installed_serve_renders_the_dashboard_from_the_packaged_templates(installed, db_url, tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SESSIONKEEPER_", "PYTHON", "VIRTUAL_ENV"))}
    port = free_loopback_port()
    env = {**clean, "SESSIONKEEPER_DATABASE_URL": db_url, "SESSIONKEEPER_CRON_DATABASE": "none"}
    process = subprocess.Popen(
        [str(installed), "serve", "--port", str(port)], cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        page = None
        while page is None and time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    page = response.read().decode()
            except OSError:
                time.sleep(0.2)  # not listening yet: bounded by the deadline
        assert page is not None, "the installed dashboard never answered"
        assert 'id="activity-chart"' in page and "Read-only" in page
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=5) as response:
            assert json.load(response)["paths"]["/api/bookings"]["post"]["operationId"] == "createBooking"
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
