"""`sessionkeeper resume-sending NUMBER [--probe]`: lift the halt of a sending number once its sender is fixed.

A worker halts a number when the provider refuses the sender itself (scheduling.halt_sending); every worker
sending as that number then waits. --probe first asks the provider, with the configured sender's environment,
whether it accepts the credentials now (a request that sends nothing), and keeps the halt when it does not.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping

import click
import psycopg
from psycopg.rows import dict_row

from runner import db, jsonout
from runner.errors import SessionkeeperError
from runner.outbound import Verdict


async def probe(number: str, env: Mapping[str, str]) -> str | None:
    """None when the configured sender's credentials are accepted for ``number``; else why not, in one line."""
    import aiohttp

    from runner.senders import build_sender

    async with aiohttp.ClientSession() as session:
        sender = build_sender(session, env, say=lambda line: None)
        if sender.sending_number != number:
            return (
                f"the configured {sender.name} sender sends as {sender.sending_number}, not {number}: "
                "set the environment of the sender to probe"
            )
        outcome = await sender.check_credentials()
    if outcome.verdict is Verdict.SENT:
        return None
    return (
        f"{sender.name} still refuses the sender (code {outcome.error_code}: {outcome.error_message}); the halt stays"
    )


@click.command(
    "resume-sending",
    help="Lift the halt of sending NUMBER (as the worker names it, e.g. cloud_api:PHONE_NUMBER_ID or "
    "twilio:+14155238886) after fixing its credentials: every worker sending as it starts claiming again. "
    "Exit 1 when NUMBER is not halted.",
)
@click.argument("number")
@click.option(
    "--probe",
    "probe_first",
    is_flag=True,
    help="First check the credentials with the provider, using the sender configured in this environment "
    "(nothing is sent); keep the halt when the provider still refuses them.",
)
@jsonout.option('{"sending_number", "halted_at", "error_code", "resumed": true}')
def resume_sending(number: str, probe_first: bool, as_json: bool) -> None:
    url = db.resolve_url(start_local=False)
    with db.connect(url, autocommit=True) as conn:
        cursor = conn.cursor(row_factory=dict_row)
        if probe_first:
            if not cursor.execute("SELECT * FROM scheduling.sender_halt(%s)", (number,)).fetchone():
                raise SessionkeeperError(f"sending number {number} is not halted: nothing to resume")
            refusal = asyncio.run(probe(number, os.environ))
            if refusal:
                raise SessionkeeperError(refusal)
        try:
            halt = cursor.execute("SELECT * FROM scheduling.resume_sending(%s)", (number,)).fetchone()
        except psycopg.Error as problem:
            if problem.sqlstate == "SK041":
                raise SessionkeeperError(f"sending number {number} is not halted: nothing to resume") from None
            raise
    if as_json:
        jsonout.echo(
            {
                "sending_number": number,
                "halted_at": halt["halted_at"],
                "error_code": halt["error_code"],
                "resumed": True,
            }
        )
        return
    click.echo(
        f"resumed {number}: the halt since {halt['halted_at']:%Y-%m-%d %H:%M:%S%z} (code {halt['error_code']}) "
        "is lifted; the workers sending as it claim again now"
    )


COMMANDS = [resume_sending]
