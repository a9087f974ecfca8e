"""deploy/systemd: the unit files pass `systemd-analyze verify`, carry the settings that matter, and the
environment template names only variables the code reads.

verify needs no root and no installed user: it parses the files, loads the units they name, and checks
that ExecStart's binary exists and is executable. It ignores User= and a missing EnvironmentFile=.
The units point at /usr/local/bin/sessionkeeper, which a test machine need not have, so the files are
verified as copies whose ExecStart names this venv's `sessionkeeper` script instead. Unknown keys and
unparsable values are only warnings (exit status 0), so the output is checked too, and a broken copy
proves that the check sees them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from runner.dashboard.auth import ENV_TOKEN_FILE
from tests.helpers import PROJECT, run_cli

UNITS = PROJECT / "deploy" / "systemd"
SERVICES = (
    "sessionkeeper-worker.service",
    "sessionkeeper-webhook.service",
    "sessionkeeper-serve.service",
    "sessionkeeper-tick.service",
)
TIMER = "sessionkeeper-tick.timer"
ENV_EXAMPLE = UNITS / "sessionkeeper.env.example"
INSTALLED_BINARY = "/usr/local/bin/sessionkeeper"
ENV_FILE = "/etc/sessionkeeper/sessionkeeper.env"
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectKernelLogs": "yes",
    "ProtectControlGroups": "yes",
    "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
    "RestrictNamespaces": "yes",
    "LockPersonality": "yes",
    "MemoryDenyWriteExecute": "yes",
    "SystemCallArchitectures": "native",
    "CapabilityBoundingSet": "",
    "UMask": "0077",
}
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
needs_systemd_analyze = pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed")


def parse_unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Section -> (key, value) in file order; keys may repeat, as systemd allows."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        assert current is not None, f"{path.name}: {raw!r} outside any section"
        assert "=" in line, f"{path.name}: {raw!r} is not KEY=VALUE"
        key, value = line.split("=", 1)
        current.append((key.strip(), value.strip()))
    return sections


def values(unit: dict[str, list[tuple[str, str]]], section: str, key: str) -> list[str]:
    return [value for name, value in unit.get(section, []) if name == key]


def one(unit: dict[str, list[tuple[str, str]]], section: str, key: str) -> str:
    found = values(unit, section, key)
    assert len(found) == 1, f"[{section}] {key}= set {len(found)} times: {found}"
    return found[0]


def venv_sessionkeeper() -> Path:
    script = Path(sys.executable).parent / "sessionkeeper"
    assert os.access(script, os.X_OK), f"{script} missing: install the project into this venv (pip install -e .)"
    return script


def copy_for_verify(destination: Path) -> list[Path]:
    """The units, with ExecStart pointing at an executable that exists here."""
    copies = []
    for name in (*SERVICES, TIMER):
        text = (UNITS / name).read_text()
        if name.endswith(".service"):
            prefix = f"ExecStart={INSTALLED_BINARY} "
            assert text.count(prefix) == 1, f"{name}: expected one line starting {prefix!r}"
            text = text.replace(prefix, f"ExecStart={venv_sessionkeeper()} ")
        copy = destination / name
        copy.write_text(text)
        copies.append(copy)
    return copies


def verify(*paths: Path) -> subprocess.CompletedProcess[str]:
    assert SYSTEMD_ANALYZE is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYSTEMD_")}  # default log level, no pager
    return subprocess.run(
        [SYSTEMD_ANALYZE, "verify", *map(str, paths)],
        capture_output=True,
        text=True,
        env=env,
        cwd=paths[0].parent,
        timeout=60,
    )


def lines_naming(result: subprocess.CompletedProcess[str], paths: list[Path]) -> list[str]:
    """verify's complaints about these files; anything it says about other units (noise) is left out."""
    names = [path.name for path in paths]
    output = (result.stdout + result.stderr).splitlines()
    return [line for line in output if any(name in line for name in names)]


@needs_systemd_analyze
def test_units_pass_systemd_analyze_verify(tmp_path):
    copies = copy_for_verify(tmp_path)
    result = verify(*copies)
    assert result.returncode == 0, result.stdout + result.stderr
    assert lines_naming(result, copies) == [], result.stdout + result.stderr


@needs_systemd_analyze
def test_verify_reports_a_broken_unit(tmp_path):
    """The check above cannot pass vacuously: verify does name bad keys and bad values."""
    broken = tmp_path / "sessionkeeper-broken.service"
    text = (UNITS / "sessionkeeper-worker.service").read_text()
    text = text.replace("Type=exec", "Type=nonsense").replace("Restart=on-failure", "Restartt=on-failure")
    text = text.replace(f"ExecStart={INSTALLED_BINARY} ", f"ExecStart={venv_sessionkeeper()} ")
    broken.write_text(text)
    complaints = "\n".join(lines_naming(verify(broken), [broken]))
    assert "nonsense" in complaints, complaints
    assert "Unknown key 'Restartt'" in complaints, complaints


@needs_systemd_analyze
@pytest.mark.skipif(os.path.exists(INSTALLED_BINARY), reason=f"{INSTALLED_BINARY} exists on this machine")
def test_verify_refuses_a_missing_binary(tmp_path):
    """Why the copies point ExecStart elsewhere: verify checks that the binary is there."""
    pristine = tmp_path / "sessionkeeper-worker.service"
    shutil.copy(UNITS / pristine.name, pristine)
    result = verify(pristine)
    assert result.returncode != 0, "verify should refuse an ExecStart binary that does not exist"
    assert INSTALLED_BINARY in "\n".join(lines_naming(result, [pristine]))


@needs_systemd_analyze
def test_hardening_scores_low_in_systemd_analyze_security(tmp_path):
    """`systemd-analyze security` rates each service's exposure (0 to 10); dropping hardening raises it."""
    for copy in copy_for_verify(tmp_path):
        if copy.suffix != ".service":
            continue
        # --threshold is in tenths: fail above 2.0 (the units score 1.2 with systemd 252).
        result = subprocess.run(
            [SYSTEMD_ANALYZE, "security", "--offline=yes", "--threshold=20", "--no-pager", str(copy)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if "--offline" in result.stderr and "unrecognized" in result.stderr.lower():
            pytest.skip("this systemd-analyze has no offline security review")
        assert result.returncode == 0, f"{copy.name}: exposure above 2.0\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("name", SERVICES)
def test_every_service_runs_confined_as_sessionkeeper(name):
    unit = parse_unit(UNITS / name)
    service = "Service"
    assert ENV_FILE in values(unit, service, "EnvironmentFile"), f"{name}: no EnvironmentFile={ENV_FILE}"
    assert one(unit, service, "User") == "sessionkeeper"
    assert one(unit, service, "Group") == "sessionkeeper"
    for key, wanted in HARDENING.items():
        assert one(unit, service, key) == wanted, f"{name}: {key}= should be {wanted!r}"
    command = one(unit, service, "ExecStart").split()
    assert command[0] == INSTALLED_BINARY, command
    subcommand = name.removeprefix("sessionkeeper-").removesuffix(".service")
    assert command[1:] == [subcommand], command
    # The unit's command line is one the CLI accepts.
    help_result = run_cli(*command[1:], "--help")
    assert help_result.returncode == 0, help_result.stderr


def test_worker_restarts_on_failure_and_a_halted_sender_is_no_failure():
    unit = parse_unit(UNITS / "sessionkeeper-worker.service")
    assert one(unit, "Service", "Restart") == "on-failure"
    # A provider refusing the sender halts its number in the database; the worker keeps running and waits, so no
    # exit status needs to be kept from restarting.
    assert values(unit, "Service", "RestartPreventExitStatus") == []
    assert one(unit, "Service", "KillSignal") == "SIGTERM"
    assert one(unit, "Service", "TimeoutStopSec") == "90s"
    assert values(unit, "Install", "WantedBy") == ["multi-user.target"]


def test_webhook_restarts_on_failure():
    unit = parse_unit(UNITS / "sessionkeeper-webhook.service")
    assert one(unit, "Service", "Restart") == "on-failure"
    assert values(unit, "Install", "WantedBy") == ["multi-user.target"]


def test_serve_restarts_on_failure_and_reads_its_own_file_second():
    unit = parse_unit(UNITS / "sessionkeeper-serve.service")
    assert one(unit, "Service", "Restart") == "on-failure"
    assert one(unit, "Service", "KillSignal") == "SIGTERM"
    assert values(unit, "Service", "EnvironmentFile") == [ENV_FILE, "-/etc/sessionkeeper/serve.env"]
    assert values(unit, "Install", "WantedBy") == ["multi-user.target"]


SERVE_CREDENTIAL = re.compile(r"^#(LoadCredential=([\w.-]+):(/\S+))$", flags=re.MULTILINE)
SERVE_TOKEN_FILE = re.compile(r"^#(Environment=([A-Z_]+)=%d/([\w.-]+))$", flags=re.MULTILINE)


def serve_credential_lines() -> list[str]:
    """The operator-token wiring the serve unit shows commented out (the token is optional), uncommented."""
    text = (UNITS / "sessionkeeper-serve.service").read_text()
    credentials, token_files = SERVE_CREDENTIAL.findall(text), SERVE_TOKEN_FILE.findall(text)
    assert len(credentials) == 1 and len(token_files) == 1, (credentials, token_files)
    (load, name, source), (environment, variable, file_name) = credentials[0], token_files[0]
    assert variable == ENV_TOKEN_FILE, f"the code reads ${ENV_TOKEN_FILE}, not ${variable}"
    assert file_name == name, f"%d/{file_name} is not the credential {name!r} that LoadCredential= loads"
    assert source.startswith("/etc/sessionkeeper/"), source
    return [load, environment]


@needs_systemd_analyze
def test_serve_operator_token_credential_passes_verify(tmp_path):
    """Uncommented into [Service], the LoadCredential= and %d lines are ones systemd accepts, hardening intact."""
    plain = next(copy for copy in copy_for_verify(tmp_path) if copy.name == "sessionkeeper-serve.service")
    wired = tmp_path / "sessionkeeper-serve-credential.service"
    text, count = re.subn(
        r"^\[Service\]$", "[Service]\n" + "\n".join(serve_credential_lines()), plain.read_text(), flags=re.M
    )
    assert count == 1
    wired.write_text(text)
    result = verify(wired)
    assert result.returncode == 0, result.stdout + result.stderr
    assert lines_naming(result, [wired]) == [], result.stdout + result.stderr
    # The same lines with a specifier systemd cannot resolve are reported: the check above is not vacuous.
    broken = tmp_path / "sessionkeeper-serve-broken.service"
    broken.write_text(text.replace("=%d/", "=%Q/"))
    assert "%Q" in "\n".join(lines_naming(verify(broken), [broken]))


def test_serve_reads_the_operator_token_from_the_file_the_unit_names(tmp_path):
    """$SESSIONKEEPER_OPERATOR_TOKEN_FILE reaches `serve`: a token too short there stops it before it listens."""
    token_file = tmp_path / "operator-token"
    token_file.write_text("short\n")
    result = run_cli("serve", env={ENV_TOKEN_FILE: str(token_file), "SESSIONKEEPER_OPERATOR_TOKEN": ""})
    assert result.returncode != 0
    assert f"the operator token in {token_file} is shorter than 16 characters" in result.stderr, result.stderr


def test_tick_timer_starts_the_tick_service_every_minute():
    timer = parse_unit(UNITS / TIMER)
    service_name = one(timer, "Timer", "Unit")
    assert service_name == "sessionkeeper-tick.service"
    assert Path(TIMER).stem == Path(service_name).stem
    assert one(timer, "Timer", "OnCalendar") == "*-*-* *:*:00"
    assert one(timer, "Timer", "AccuracySec") == "1s"
    assert one(timer, "Timer", "Persistent") == "false"
    assert values(timer, "Install", "WantedBy") == ["timers.target"]
    assert "pg_cron" in (UNITS / TIMER).read_text()

    service = parse_unit(UNITS / service_name)
    assert one(service, "Service", "Type") == "oneshot"
    assert values(service, "Service", "Restart") == []
    assert "Install" not in service, "the timer starts the tick; the service itself is not enabled"


def env_example_names() -> list[str]:
    """Every variable the template mentions, set or commented out."""
    return re.findall(r"^#?([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), flags=re.MULTILINE)


def test_env_example_names_only_variables_the_code_reads():
    code = "\n".join(path.read_text() for path in (PROJECT / "runner").rglob("*.py"))
    names = env_example_names()
    assert len(names) == len(set(names)), "a variable appears twice in the template"
    unknown = [name for name in names if f'"{name}"' not in code]
    assert unknown == [], f"not read anywhere in runner/: {unknown}"
    for needed in (
        "SESSIONKEEPER_DATABASE_URL",
        "SESSIONKEEPER_LOG_FORMAT",
        "SESSIONKEEPER_WORKER_LANES",
        "SESSIONKEEPER_WORKER_BATCH",
        "SESSIONKEEPER_METRICS_PORT",
        "WHATSAPP_CLOUD_TOKEN",
        "WHATSAPP_PHONE_NUMBER_ID",
        "WHATSAPP_ACCOUNT_SID",
        "WHATSAPP_AUTH_TOKEN",
        "WHATSAPP_FROM_NUMBER",
        "WHATSAPP_APP_SECRET",
        "WHATSAPP_VERIFY_TOKEN",
        "TWILIO_AUTH_TOKEN",
        "SESSIONKEEPER_WEBHOOK_HOST",
        "SESSIONKEEPER_WEBHOOK_PORT",
        "SESSIONKEEPER_WEBHOOK_PUBLIC_URL",
        "SESSIONKEEPER_DASHBOARD_HOST",
        "SESSIONKEEPER_DASHBOARD_PORT",
        ENV_TOKEN_FILE,
    ):
        assert needed in names, f"{needed} missing from {ENV_EXAMPLE.name}"


def test_env_example_holds_placeholders_only():
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.match(r"^#?([A-Z][A-Z0-9_]*)=(.*)$", line)
        if not match:
            continue
        name, value = match.groups()
        if name.endswith("_FILE"):  # where a secret is kept, not the secret
            assert value.startswith("/etc/sessionkeeper/"), f"{name}: a path under /etc/sessionkeeper, not {value!r}"
        elif re.search(r"TOKEN|SECRET|PASSWORD", name) or name.endswith("DATABASE_URL"):
            assert "CHANGE_ME" in value, f"{name}: use the CHANGE_ME placeholder, not {value!r}"


def test_deploy_files_cite_no_outside_documents():
    for path in UNITS.iterdir():
        text = path.read_text()
        assert not re.search(r"\bseed\b|\bissue\s*#?\d", text, flags=re.IGNORECASE), path.name
