"""The numbers runner/constants.py repeats from the database are the database's, and the CLI uses them."""

from __future__ import annotations

import psycopg

from runner import constants
from runner.cli_recurring import generate
from runner.worker import WorkerSettings


def test_the_repeated_numbers_are_the_databases(db_url):
    with psycopg.connect(db_url, autocommit=True) as conn:
        name, free_text, days = conn.execute(
            "SELECT scheduling_internal.text_limit('name'), scheduling_internal.text_limit('free_text'), "
            "scheduling_internal.default_generation_days()"
        ).fetchone()
    assert (name, free_text) == (constants.NAME_CHARS, constants.FREE_TEXT_CHARS)
    assert days == constants.DEFAULT_GENERATION_DAYS


def test_the_cli_and_the_worker_take_their_defaults_from_there():
    days = next(option for option in generate.params if option.name == "days")
    assert days.default == constants.DEFAULT_GENERATION_DAYS
    assert days.show_default
    settings = WorkerSettings()
    assert (settings.lanes, settings.batch_size, settings.lease_seconds) == (
        constants.WORKER_LANES,
        constants.WORKER_BATCH_SIZE,
        constants.WORKER_LEASE_SECONDS,
    )
