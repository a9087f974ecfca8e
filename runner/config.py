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
# Where a wheel puts migrations/ and sql/ (pyproject.toml, force-include).
PACKAGED_SQL = Path(__file__).resolve().parent / "schema"


def checkout_dir() -> Path | None:
    """The source checkout this code runs from (it has pyproject.toml and migrations/), else None."""
    candidate = Path(__file__).resolve().parent.parent
    if (candidate / "pyproject.toml").is_file() and (candidate / "migrations").is_dir():
        return candidate
    return None


def project_dir() -> Path:
    """The folder holding migrations/ and sql/.

    $SESSIONKEEPER_PROJECT_DIR when set (development against another tree); else the checkout this code
    runs from; else the copy the wheel carries inside the package (runner/schema).
    """
    configured = os.environ.get(ENV_PROJECT_DIR)
    if configured:
        return Path(configured).resolve()
    return checkout_dir() or PACKAGED_SQL


def default_data_dir() -> Path:
    """The embedded cluster's folder: .pgdata in the checkout, or ./.pgdata where an installed tool runs."""
    return (checkout_dir() or Path.cwd()) / ".pgdata"


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
        data_dir = Path(os.environ.get(ENV_PGDATA) or default_data_dir()).resolve()
        port_text = os.environ.get(ENV_PORT) or str(DEFAULT_PORT)
        try:
            port = int(port_text)
        except ValueError:
            raise ValueError(f"{ENV_PORT} must be a port number, not {port_text!r}") from None
        if not 1024 <= port <= 65535:
            raise ValueError(f"{ENV_PORT} must be between 1024 and 65535, not {port}")
        return cls(data_dir=data_dir, port=port, dbname=os.environ.get(ENV_DBNAME) or DEFAULT_DBNAME)
