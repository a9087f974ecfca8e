"""`sessionkeeper ha up` / `ha down`: a local pg_auto_failover formation (runner.ha) to try failover on."""

from __future__ import annotations

import time
from pathlib import Path

import click

from runner import config
from runner.ha import Formation
from runner.migrate import migrate_and_report


def _default_dir() -> Path:
    return (config.checkout_dir() or Path.cwd()) / ".sessionkeeper" / "ha"


DIR_OPTION = click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The formation's folder (default .sessionkeeper/ha in the checkout, or in the current folder).",
)


@click.group(
    help="A local high-availability formation: a pg_auto_failover monitor and two PostgreSQL nodes on loopback "
    "ports (trusted connections, 127.0.0.1 only), to try failover on one machine."
)
def ha() -> None:
    pass


@ha.command(
    "up",
    help="Start the monitor and two nodes (pg_cron preloaded on both), wait for a primary and a secondary, migrate "
    "through the multi-host URL, and print that URL. Needs pg_autoctl (Debian package postgresql-15-auto-failover).",
)
@DIR_OPTION
def ha_up(folder: Path | None) -> None:
    started = time.monotonic()
    formation = Formation(folder or _default_dir())
    url = formation.up(say=click.echo)
    click.echo(f"formation up: primary {formation.primary()}; migrating")
    migrate_and_report(url, config.project_dir(), say=click.echo)
    click.echo(f"ready in {time.monotonic() - started:.0f} s; use it with:")
    click.echo(f"  export SESSIONKEEPER_DATABASE_URL='{url}'")


@ha.command("down", help="Stop every process of the formation and delete its folder.")
@DIR_OPTION
def ha_down(folder: Path | None) -> None:
    formation = Formation(folder or _default_dir())
    if formation.down(say=click.echo):
        click.echo(f"formation in {formation.folder} stopped and removed")
    else:
        click.echo(f"no formation in {formation.folder}")


COMMANDS = [ha]
