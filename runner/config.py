"""Where things are: the project folder, the embedded cluster, and which database to use.

Every setting comes from an environment variable, and every CLI option mirrors one of them
(click's ``envvar=``), so a setting can live in the shell, in a unit file or on the command line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PORT = 54329
DEFAULT_DBNAME = "sessionkeeper"

ENV_DATABASE_URL = "SESSIONKEEPER_DATABASE_URL"
ENV_PROJECT_DIR = "SESSIONKEEPER_PROJECT_DIR"
ENV_PGDATA = "SESSIONKEEPER_PGDATA"
ENV_PORT = "SESSIONKEEPER_PGPORT"
ENV_DBNAME = "SESSIONKEEPER_DBNAME"


def project_dir() -> Path:
    """The folder holding migrations/ and sql/: $SESSIONKEEPER_PROJECT_DIR, else this checkout."""
    configured = os.environ.get(ENV_PROJECT_DIR)
    if configured:
        return Path(configured).resolve()
    return Path(__file__).resolve().parent.parent


def external_database_url() -> str | None:
    """A server the operator chose: SESSIONKEEPER_DATABASE_URL, then DATABASE_URL, else None."""
    return os.environ.get(ENV_DATABASE_URL) or os.environ.get("DATABASE_URL") or None


@dataclass(frozen=True)
class LocalClusterSettings:
    """How the embedded development cluster is laid out."""

    data_dir: Path
    port: int
    dbname: str

    @classmethod
    def from_environment(cls) -> LocalClusterSettings:
        data_dir = Path(os.environ.get(ENV_PGDATA) or project_dir() / ".pgdata").resolve()
        port_text = os.environ.get(ENV_PORT) or str(DEFAULT_PORT)
        try:
            port = int(port_text)
        except ValueError:
            raise ValueError(f"{ENV_PORT} must be a port number, not {port_text!r}") from None
        if not 1024 <= port <= 65535:
            raise ValueError(f"{ENV_PORT} must be between 1024 and 65535, not {port}")
        return cls(data_dir=data_dir, port=port, dbname=os.environ.get(ENV_DBNAME) or DEFAULT_DBNAME)
