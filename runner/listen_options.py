"""`--host` and `--port` for the commands that serve HTTP (`webhook`, `serve`): one declaration, each command with
its own default port and environment variables."""

from __future__ import annotations

from collections.abc import Callable

import click


def listen_options(host_env: str, port_env: str, default_port: int, host_advice: str) -> Callable:
    """Both options, also read from the variables ``host_env`` and ``port_env`` (named in full, so that a search
    for a variable finds where it is read); the port arrives as ``listen_port``."""

    def decorate(command: Callable) -> Callable:
        command = click.option(
            "--port",
            "listen_port",
            type=click.IntRange(1, 65535),
            default=default_port,
            show_default=True,
            envvar=port_env,
            help=f"Port to listen on. [env {port_env}]",
        )(command)
        return click.option(
            "--host",
            default="127.0.0.1",
            show_default=True,
            envvar=host_env,
            help=f"Address to listen on; {host_advice}. [env {host_env}]",
        )(command)

    return decorate
