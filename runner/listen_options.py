"""`--host` and `--port` for the commands that serve HTTP (`webhook`, `serve`): one declaration, each command with
its own default port and environment variables."""

from __future__ import annotations

from collections.abc import Callable

import click


def listen_options(env_prefix: str, default_port: int, host_advice: str) -> Callable:
    """Both options, read from ``{env_prefix}_HOST`` / ``{env_prefix}_PORT`` too; the port arrives as
    ``listen_port``."""

    def decorate(command: Callable) -> Callable:
        command = click.option(
            "--port",
            "listen_port",
            type=click.IntRange(1, 65535),
            default=default_port,
            show_default=True,
            envvar=f"{env_prefix}_PORT",
            help=f"Port to listen on. [env {env_prefix}_PORT]",
        )(command)
        return click.option(
            "--host",
            default="127.0.0.1",
            show_default=True,
            envvar=f"{env_prefix}_HOST",
            help=f"Address to listen on; {host_advice}. [env {env_prefix}_HOST]",
        )(command)

    return decorate
