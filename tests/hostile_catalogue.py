"""Render docs/hostile-input.md from the rows of tests/hostile_cases.py.

    .venv/bin/python -m tests.hostile_catalogue      # rewrite docs/hostile-input.md

tests/test_hostile_input.py checks that the file on disk is exactly this rendering, so it never drifts from
the rows the tests run.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests import hostile_cases as catalogue

DOCUMENT = Path(__file__).resolve().parent.parent / "docs" / "hostile-input.md"

# What each SQLSTATE of the catalogue means: sessionkeeper's own (README.md, "Errors") and PostgreSQL's.
MEANINGS: dict[str, str] = {
    "SK001": "session not found",
    "SK002": "session is deleted",
    "SK003": "action not allowed from the session's status",
    "SK004": "end not after start",
    "SK005": "unknown time zone",
    "SK006": "phone not in E.164 form",
    "SK007": "person not found or deleted",
    "SK008": "action not allowed at this time",
    "SK009": "invalid value",
    "SK010": "booking not found",
    "SK011": "already booked (or waitlisted)",
    "SK012": "session is full",
    "SK013": "booking action not allowed in its status",
    "SK014": "a seat in a group session cannot be rescheduled alone",
    "SK016": "unknown reminder policy",
    "SK017": "zero or negative interval",
    "SK018": "stale or wrong attempt token",
    "SK019": "reminder not found",
    "SK021": "no token bucket for that sending number",
    "SK022": "template not found",
    "SK023": "invalid recurrence rule",
    "SK024": "COUNT together with UNTIL",
    "SK025": "template duration zero or less",
    "SK026": "template action not allowed in its status",
    "SK027": "not an occurrence of the template",
    "SK028": "workshop not found",
    "SK029": "run not found (or of another workshop)",
    "SK030": "nothing to clone",
    "SK031": "clone date in the past",
    "SK032": "no session available",
    "SK033": "day number taken or not positive",
    "SK034": "text too long",
    "SK035": "unknown provider",
    "SK036": "provider message id missing, blank or too long",
    "SK037": "unknown delivery status word",
    "SK038": "p_now more than 5 minutes in the future while simulated time is off",
    "SK046": "retention age NULL, zero or negative",
    "SK047": "purge batch NULL, below 1 or above 100,000",
    "SK049": "phone of another person who is not deleted",
    "SK050": "unknown language",
    "SK051": "a value both given and cleared",
    "SK052": "unknown consent source (app, reply or operator)",
    "SK055": "the person to erase hosts sessions ahead or recurring templates not ended",
    "SK056": "a message text's {placeholders} and parameter names differ",
    "SK060": "working hours or an exception malformed",
    "SK061": "two weekly working-hours ranges overlap",
    "SK062": "a slot search out of bounds (duration, step, window, horizon)",
    "SK063": "outside the host's working time",
    "SK064": "no free slot within the horizon",
    "SK065": "a batch of outcomes that is not an array of objects",
    "SK066": "an outcome entry lacking a required key or holding an unknown one",
    "SK067": "an outcome entry with a value of the wrong type, or a reminder named twice",
    "SK069": "the cron side given to health_report is not of its shape",
    "SK071": "a time range that is empty, backwards, unbounded or NULL",
    "SK072": "a time range longer than the function looks at once",
    "SK073": "an API token name that is not 1 to 63 letters, digits, . _ @ -",
    "SK074": "an active API token with that name already exists",
    "SK075": "no active API token with that name",
    "SK076": "an idempotency key used with another request",
    "SK077": "a bad idempotency key, request hash or actor, or no request reserved under the key",
    "SK078": "a session window that is NULL, infinite, empty, backwards or over 93 days",
    "22003": "numeric_value_out_of_range: the number does not fit the type",
    "22007": "invalid_datetime_format: not a date, time or interval",
    "22008": "datetime_field_overflow: no such date or time (30 February, 25:00)",
    "22023": "invalid_parameter_value: unknown time zone inside a time literal",
    "22P02": "invalid_text_representation: not a uuid, number, boolean, enum value or JSON",
    "42501": "insufficient_privilege: the role may not call it",
    "42883": "undefined_function: no function with those argument types",
    "54000": "program_limit_exceeded: a value too big for an index",
}

EXITS: dict[int, str] = {
    0: "success",
    1: "error, one line on stderr",
    2: "usage error (click), or healthcheck: database unreachable",
    3: "embedded database not running",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _code(text: str) -> str:
    return f"`{_cell(text)}`"


def _fixture_name(name: str) -> str:
    return f"`<{name}>`" if name.isidentifier() else f"`'{name}'`"


def _call(case: catalogue.SqlCase) -> str:
    call = case.sql.removeprefix("SELECT scheduling.")
    fn = catalogue.FUNCTIONS.get(case.target)
    prefix = "" if case.role == (fn.role if fn else catalogue.OWNER) else f"as {case.role}: "
    if not case.simulated_time:
        prefix += "simulated time off: "
    return prefix + _code(call)


def _command(case: catalogue.CliCase) -> str:
    words = [f"'{word}'" if " " in word or ";" in word else word for word in case.argv]
    prefix = "" if case.project is None else f"(project: {catalogue.PROJECTS[case.project]}) "
    if not case.simulated_time:
        prefix += "(simulated time off) "
    return prefix + _code("sessionkeeper " + " ".join(words))


def _rows(sql_cases: list[catalogue.SqlCase], name: str) -> list[str]:
    rows = []
    for case in (case for case in sql_cases if case.target == name):
        state = f"{case.sqlstate} (open: {case.today} today)" if case.today else case.sqlstate
        rows.append(f"| {_call(case)} | {_cell(case.wrong)} | {state} | {_cell(MEANINGS[case.sqlstate])} |")
    return rows


def render() -> str:
    sql_cases, cli_cases, accepted = catalogue.SQL_CASES, catalogue.CLI_CASES, catalogue.ACCEPTED
    total = len(sql_cases) + len(cli_cases) + len(accepted)
    roles = sum(case.sqlstate == "42501" for case in sql_cases)
    open_cases = [case for case in sql_cases if case.today]
    commands = list(dict.fromkeys(case.target for case in cli_cases))
    owner_only = list(dict.fromkeys(case.target for case in sql_cases if case.target not in catalogue.FUNCTIONS))
    lines = [
        "# Hostile input",
        "",
        "<!-- Generated by `.venv/bin/python -m tests.hostile_catalogue` from tests/hostile_cases.py; "
        "do not edit by hand. -->",
        "",
        f"What sessionkeeper does with input a careless or malicious caller sends: wrong types, NULLs, 1 MB strings, "
        f"SQL in text fields, misspelt time zones, impossible dates (30 February, end before start, year 10000, "
        f"infinity), unknown ids, duplicate calls and calls by the wrong role. **{total} cases were tried**: "
        f"{len(sql_cases)} calls of the {len(catalogue.FUNCTIONS)} public SQL functions (every function granted to "
        f"sessionkeeper_app, sessionkeeper_worker, sessionkeeper_cron or sessionkeeper_webhook, and "
        f"{len(owner_only)} granted to none, which the owner calls; {roles} of them by "
        f"a role it is not granted "
        f"to), {len(cli_cases)} command lines of the {len(commands) - 1} `sessionkeeper` commands and its global "
        f"options, and {len(accepted)} free texts that must be stored as data.",
        "",
        "Each row is a test in `tests/test_hostile_input.py`, run against a migrated database holding the fixture "
        "below. A SQL row runs in its own transaction as the role it names (`SET LOCAL ROLE`) and must fail with "
        "exactly the SQLSTATE shown and a one-line message; a command row runs the real `sessionkeeper` process and "
        "must exit with the status shown, saying one line on stderr (a click usage error: exit 2 and the usage, "
        "naming the bad option). **None of them wrote anything**: a fingerprint of the whole database (every row of "
        "every table of schemas `scheduling` and `sessionkeeper_meta`, `cron.job` where pg_cron is installed, and "
        "the last value of every sequence) is taken before and after each row and must be identical. The free "
        "texts are stored verbatim and change only the tables their row names.",
        "",
        "Every row of a call to `scheduling.f(...)` is `SELECT scheduling.f(...)`, run as the role the function is "
        "granted to unless it says `as <role>`. `<name>` stands for the id of fixture object *name*; "
        "`repeat('x', 1048576)` is a 1 MB string. Limits behind SK034: names, titles, actors, time zones, policy "
        "names, order references, worker ids and error codes 200 characters; reasons, descriptions and error "
        "messages 2000; recurrence rules 500; metadata 10,000 (as JSON text). Times must be finite and within the "
        "years 1900 to 9999 (SK009). The test cluster has simulated time on (`sessionkeeper.simulated_time`, "
        "since the fixture lies in 2030); a row marked *simulated time off* runs with it off, as on a real "
        "server, where a `p_now` more than 5 minutes ahead is refused (SK038).",
        "",
        "## Fixture",
        "",
        "| name | what |",
        "|---|---|",
        *(f"| {_fixture_name(name)} | {_cell(what)} |" for name, what in catalogue.FIXTURE.items()),
        "",
        "Command rows use these database URLs:",
        "",
        "| word | what |",
        "|---|---|",
        *(f"| `{word}` | {_cell(what)} |" for word, what in catalogue.URLS.items()),
        "",
        "## SQL functions",
        "",
        "| function | granted to | rows |",
        "|---|---|---|",
    ]
    counts = Counter(case.target for case in sql_cases)
    for name, fn in catalogue.FUNCTIONS.items():
        granted = ", ".join(filter(None, [fn.role, fn.also]))
        lines.append(f"| [{name}](#{name}) | {granted} | {counts[name]} |")
    for name, fn in catalogue.FUNCTIONS.items():
        granted, good = ", ".join(filter(None, [fn.role, fn.also])), f"{name}({fn.good_call})"
        lines += [
            "",
            f"### {name}",
            "",
            f"Granted to {granted}. A call it accepts (and the wrong-role rows make): {_code(good)}.",
            "",
            "| call | what is wrong | SQLSTATE | meaning |",
            "|---|---|---|---|",
        ]
        lines += _rows(sql_cases, name)
    for name in owner_only:
        lines += [
            "",
            f"### {name}",
            "",
            f"Granted to no role: the owner or a DBA calls it; its rows run as {catalogue.OWNER}.",
            "",
            "| call | what is wrong | SQLSTATE | meaning |",
            "|---|---|---|---|",
            *_rows(sql_cases, name),
        ]
    lines += ["", "## Commands", ""]
    for command in commands:
        lines += [
            f"### sessionkeeper {command}" if command != "sessionkeeper" else "### sessionkeeper (global options)",
            "",
            "| command line | what is wrong | exit | stderr (… varies) |",
            "|---|---|---|---|",
        ]
        for case in (case for case in cli_cases if case.target == command):
            said = f"usage error naming {_code(case.says)}" if case.usage_error else _code(case.says)
            lines.append(f"| {_command(case)} | {_cell(case.wrong)} | {case.exit_code} | {said} |")
        lines.append("")
    lines += [
        "Exit statuses: " + "; ".join(f"{code} {meaning}" for code, meaning in EXITS.items() if code) + ".",
        "",
        "## Accepted as data",
        "",
        "Free-text fields are data, never code: SQL in them is stored verbatim, and nothing else happens. Each row "
        "runs as the function's role, reads the text back from the row it wrote, and checks that only the tables "
        "listed changed (then rolls back).",
        "",
        "| call | text | read back from | tables written |",
        "|---|---|---|---|",
    ]
    for case in accepted:
        call = case.sql.removeprefix("SELECT ")
        column = case.read_back.split(" WHERE")[0].removeprefix("SELECT ")
        shown = case.expected if len(case.expected) <= 60 else f"{case.expected[:20]}… ({len(case.expected)} chars)"
        tables = ", ".join(sorted(case.tables))
        lines.append(f"| {_code(call)} | {_code(shown)} | {_code(column)} | {tables} |")
    if open_cases:
        lines += [
            "",
            "## Open",
            "",
            "Rows whose function gives a code that leaks from a table or an index instead of its own; they write "
            "nothing either. Their tests expect today's code and are marked as expected failures until fixed.",
            "",
        ]
        lines += [f"- `{case.id}`: {catalogue.OPEN[case.id]}" for case in open_cases]
    lines += [
        "",
        "## Regenerating",
        "",
        "Add a row to `tests/hostile_cases.py` (one line: `sql(...)` through the per-function helpers, `cli(...)`, "
        "`accepted(...)`), then run `.venv/bin/python -m tests.hostile_catalogue` and "
        "`.venv/bin/pytest tests/test_hostile_input.py`.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    DOCUMENT.write_text(render())
    print(f"wrote {DOCUMENT}")


if __name__ == "__main__":
    main()
