"""`sessionkeeper serve`: the dashboard in the browser (runner/dashboard) and the HTTP API (runner/api)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from runner import db
from runner.dashboard.auth import ENV_TOKEN, ENV_TOKEN_FILE, Guard, operator_token
from runner.errors import SessionkeeperError
from runner.listen_options import listen_options


@click.command(
    help="Serve the dashboard: today's and the next sessions with their live status (those needing a person on "
    "top), the reminder queue, sends, failures and lag per hour, failed and uncertain reminders (with a retry "
    "action), pg_cron's jobs and the workshops' seats and waitlists. The page updates itself as sessions change. "
    f"Read-only unless an operator token is configured (${ENV_TOKEN}, or --operator-token-file); the operator "
    "signs in with it once. With WHATSAPP_APP_SECRET or TWILIO_AUTH_TOKEN set, the webhook's routes are served "
    "too (as by `sessionkeeper webhook`). The HTTP API for apps is served under /api/ (bearer tokens from "
    "`sessionkeeper api-token create`), with /health and its OpenAPI document at /openapi.json."
)
@listen_options(
    "SESSIONKEEPER_DASHBOARD_HOST",
    "SESSIONKEEPER_DASHBOARD_PORT",
    8089,
    "anything but loopback belongs behind a TLS proxy",
)
@click.option(
    "--operator-token-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar=ENV_TOKEN_FILE,
    help=f"Read the operator token (16 characters or more) from this file instead of ${ENV_TOKEN}. "
    f"[env {ENV_TOKEN_FILE}]",
)
def serve(host: str, listen_port: int, operator_token_file: Path | None) -> None:
    import asyncio

    from runner import webhook
    from runner.dashboard.app import DashboardSettings
    from runner.dashboard.app import serve as serve_dashboard
    from runner.logs import make_logger

    guard = Guard(operator_token(operator_token_file))
    try:  # the webhook's routes when its secrets are set, exactly as `sessionkeeper webhook` would serve them
        hooks = webhook.WebhookSettings.from_env(os.environ, host, listen_port)
    except SessionkeeperError:
        hooks = None
    url = db.resolve_url(start_local=False)
    settings = DashboardSettings(url=url, host=host, port=listen_port, guard=guard, webhook=hooks)
    log = make_logger(os.environ.get("SESSIONKEEPER_LOG_FORMAT") or "text", "dashboard")
    sys.exit(asyncio.run(serve_dashboard(settings, log)))


COMMANDS = [serve]
