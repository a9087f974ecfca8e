"""Generated requests against the HTTP API (schemathesis, from the OpenAPI document the server publishes): valid
and invalid bodies, parameters and ids for every operation. No answer may be a server error, and each must be a
status the document lists for that operation, as JSON of the documented shape.

The generated ids name nothing (404) and most generated bodies are refused (422): the answers that succeed are
the other API tests' to check; here what matters is that nothing the document allows, or nearly allows, breaks
the server or leaves the documented contract."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.api_support import build_world, create_token
from tests.dashboard_support import dashboard

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def test_generated_requests_get_documented_answers_and_never_a_server_error(conn, db_url, tmp_path):
    token = create_token(db_url, "fuzzer")
    build_world(conn)
    schemathesis = Path(sys.executable).parent / "schemathesis"
    with dashboard(db_url, token=None) as (_, base):
        done = subprocess.run(
            [
                str(schemathesis), "run", f"{base}/openapi.json",
                "--checks", CHECKS,
                "--max-examples", "40",
                "--seed", "20261130",
                "--header", f"Authorization: Bearer {token}",
                "--request-timeout", "30",
                "--workers", "2",
            ],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env={**os.environ, "SCHEMATHESIS_TELEMETRY": "false"},
            timeout=900,
        )  # fmt: skip
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
