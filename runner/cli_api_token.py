"""`sessionkeeper api-token create|revoke|list`: the bearer tokens of the HTTP API (scheduling.api_tokens).

A token is made in the database (scheduling.create_api_token), printed once and never stored: only its SHA-256 is
kept, so a lost token is revoked and a new one made. The name is the actor of what the token's requests write.
"""

from __future__ import annotations

import click
from psycopg.rows import dict_row

from runner import db, jsonout


@click.group(
    "api-token",
    help="Bearer tokens of the HTTP API of `sessionkeeper serve`: make one (shown once), revoke it, list them.",
)
def api_token() -> None:
    pass


@api_token.command(
    "create",
    help="Make a token for NAME (1 to 63 letters, digits, . _ @ -; the actor its requests write as) and print it "
    "alone on stdout: it is shown this once, only its hash is kept. Exit 1 when NAME already has an active token.",
)
@click.argument("name")
@jsonout.option('{"name", "token"}')
def create(name: str, as_json: bool) -> None:
    url = db.resolve_url(start_local=False)
    with db.connect(url, autocommit=True) as conn:
        token = conn.execute("SELECT scheduling.create_api_token(%s)", (name,)).fetchone()[0]
    if as_json:
        jsonout.echo({"name": name, "token": token})
    else:
        click.echo(token)
    click.echo(f"token for {name} shown once: it is not stored and cannot be shown again", err=True)


@api_token.command("revoke", help="Revoke the active token of NAME at once. Exit 1 when NAME has none.")
@click.argument("name")
@jsonout.option('{"name", "revoked_at"}')
def revoke(name: str, as_json: bool) -> None:
    url = db.resolve_url(start_local=False)
    with db.connect(url, autocommit=True) as conn:
        revoked_at = conn.execute("SELECT scheduling.revoke_api_token(%s)", (name,)).fetchone()[0]
    if as_json:
        jsonout.echo({"name": name, "revoked_at": revoked_at})
    else:
        click.echo(f"revoked {name}")


@api_token.command("list", help="List the tokens, revoked ones too: name, created, by whom, revoked.")
@jsonout.option('{"tokens": [{"name", "created_at", "created_by", "revoked_at", "revoked_by"}]}')
def list_tokens(as_json: bool) -> None:
    url = db.resolve_url(start_local=False)
    with db.connect(url, autocommit=True) as conn:
        rows = (
            conn.cursor(row_factory=dict_row)
            .execute(
                "SELECT name, created_at, created_by, revoked_at, revoked_by FROM scheduling.api_tokens "
                "ORDER BY name, created_at, id"
            )
            .fetchall()
        )
    if as_json:
        jsonout.echo({"tokens": rows})
        return
    if not rows:
        click.echo("no API tokens")
    for row in rows:
        revoked = (
            f"revoked {row['revoked_at']:%Y-%m-%d %H:%M:%S%z} by {row['revoked_by']}" if row["revoked_at"] else "active"
        )
        click.echo(f"{row['name']}  created {row['created_at']:%Y-%m-%d %H:%M:%S%z} by {row['created_by']}  {revoked}")


COMMANDS = [api_token]
