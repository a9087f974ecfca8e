"""The catalogue of hostile input, as data: every public SQL function and every `sessionkeeper`
command, called with what a careless or malicious caller might send, and the error each one gives.

tests/test_hostile_input.py runs every row against a migrated database holding the fixture below and proves
that each one failed with the expected SQLSTATE (or exit status) and left every table as it was;
tests/hostile_catalogue.py renders docs/hostile-input.md from the same rows.

Adding a row is a one-line change: ``sql(...)`` for a function, ``cli(...)`` for a command, ``accepted(...)``
for free text that must be stored verbatim. ``<name>`` in a call stands for the id of fixture object ``name``;
``$URL``-style words in a command line for the database URLs of ``URLS``.
"""

from __future__ import annotations

from dataclasses import dataclass

APP = "sessionkeeper_app"
WORKER = "sessionkeeper_worker"
CRON = "sessionkeeper_cron"
OWNER = "sessionkeeper_owner"  # owner-only functions (granted to no role) run as the owner
WEBHOOK = "sessionkeeper_webhook"
NOBODY = "sk_hostile_nobody"  # a NOLOGIN role with no grants at all, made by the test

# Values the rows use again and again.
HUGE = "repeat('x', 1048576)"  # a 1 MB string
SQL_TEXT = "x'); DROP TABLE scheduling.sessions; --"  # SQL an attacker hopes a function will run
INJECT = "'x''); DROP TABLE scheduling.sessions; --'"  # SQL_TEXT as a SQL literal
UNKNOWN = "'00000000-0000-4000-8000-000000000000'"  # a well-formed uuid that names nothing
NOW = "'2030-01-01 00:00+00'"  # the fixture's "now": every fixture session lies after it
SLOT = "'2030-07-01 10:00+02', '2030-07-01 11:00+02'"  # a valid future slot
BACKWARDS = "'2030-07-01 11:00+02', '2030-07-01 10:00+02'"  # end before start
NIGHT = "'2030-07-01 03:00+02', '2030-07-01 04:00+02'"  # a slot outside the fixture host's working hours
FEB30 = "'2030-02-30 10:00+01', '2030-02-30 11:00+01'"  # a day that does not exist
Y10K = "'10000-01-01 10:00+00', '10000-01-01 11:00+00'"  # year 10000
WEEK = "'2030-07-01 00:00+02', '2030-07-08 00:00+02'"  # a week of July 2030, for a host's time
TOKEN = "7e57ab1e-0000-4000-8000-000000000001"  # the attempt token of the fixture's leased reminder
# One well-formed entry of record_reminder_outcomes: the fixture's leased reminder, sent.
OUTCOME = (
    f'\'{{"reminder_id": "<leased_reminder>", "attempt_token": "{TOKEN}", "outcome": "sent", '
    '"provider_message_id": "wamid.1"}\''
)


@dataclass(frozen=True)
class Fn:
    """A public function: the role it is granted to, and one call that role may make successfully."""

    role: str
    good_call: str
    also: str | None = None  # a second group role it is granted to


# Every function granted to sessionkeeper_app, sessionkeeper_worker or sessionkeeper_cron (a test checks this
# list against the grants in the database), in the order of the catalogue.
FUNCTIONS: dict[str, Fn] = {
    "create_person": Fn(APP, "'Ann Example', '+4915100000009', 'Europe/Berlin', true"),
    "set_whatsapp_consent": Fn(APP, "'<attendee>', false, 'app'"),
    "update_person": Fn(APP, "'<other>', p_full_name => 'Olga O.', p_now => " + NOW),
    "create_session": Fn(APP, f"'<host>', 'Mentoring call', {SLOT}"),
    "create_booking": Fn(APP, "'<session>', '<other>'"),
    "cancel_booking": Fn(APP, "'<booking>', 'changed my mind'"),
    "create_appointment": Fn(APP, f"'<host>', '<other>', 'Haircut', {SLOT}"),
    "reschedule_booking": Fn(APP, f"'<appointment_booking>', {SLOT}"),
    "start_session": Fn(APP, "'<session>', p_now => '2030-06-03 09:30+02'"),
    "complete_session": Fn(APP, "'<in_progress_session>'"),
    "cancel_session": Fn(APP, "'<session>', 'host is ill'"),
    "mark_no_show": Fn(APP, "'<session>', p_now => '2030-06-03 10:30+02'"),
    "reschedule_session": Fn(APP, f"'<session>', {SLOT}"),
    "delete_session": Fn(APP, "'<session>', 'duplicate'"),
    "create_template": Fn(APP, "'<host>', 'Yoga', 'FREQ=WEEKLY;BYDAY=TU', '2030-01-01', '09:00', '1 hour'"),
    "update_template": Fn(APP, "'<template>', p_title => 'Evening yoga', p_now => " + NOW),
    "pause_template": Fn(APP, "'<template>', p_now => " + NOW),
    "resume_template": Fn(APP, "'<paused_template>', p_now => " + NOW),
    "end_template": Fn(APP, "'<template>', p_now => " + NOW),
    "skip_template_occurrence": Fn(APP, "'<template>', '2030-01-14', p_now => " + NOW),
    "template_occurrences": Fn(APP, "'<template>', '2030-01-01', '2030-02-01'"),
    "generate_recurring_sessions": Fn(APP, "'<template>', 30, " + NOW),
    "create_workshop": Fn(APP, "'<host>', 'Pottery', 12"),
    "create_workshop_run": Fn(APP, "'<workshop>', 'July 2030 Batch', '2030-07-06'"),
    "add_workshop_session": Fn(APP, "'<run>', 2, '2030-06-09 10:00+02', '2030-06-09 16:00+02'"),
    "clone_workshop_sessions": Fn(APP, "'<workshop>', '2030-09-07', p_now => " + NOW),
    "enroll": Fn(APP, "'<workshop_session>', '<other>', p_now => " + NOW),
    "book_next_available": Fn(APP, "'<workshop>', '<other>', p_now => " + NOW),
    "set_working_hours": Fn(APP, "'<host>', '{\"mon\": [\"08:00-18:00\"]}', p_now => " + NOW),
    "add_working_hours_exception": Fn(APP, "'<host>', '2030-07-02', 'day_off', p_now => " + NOW),
    "remove_working_hours_exception": Fn(APP, "'<host>', '<host_day_off>', p_now => " + NOW),
    "working_time": Fn(APP, "'<host>', '2030-07-01 00:00+02', '2030-07-08 00:00+02'"),
    "free_slots": Fn(APP, "'<host>', '2030-07-01 00:00+02', '2030-07-08 00:00+02', '1 hour', NULL, " + NOW),
    "book_next_available_slot": Fn(APP, "'<host>', '<other>', '1 hour', p_now => " + NOW),
    "host_agenda": Fn(APP, "'<host>', '2030-07-01 00:00+02', '2030-07-08 00:00+02'"),
    "reminder_activity_by_hour": Fn(APP, "'2030-06-01 00:00+00', '2030-06-03 00:00+00'"),
    "api_token_actor": Fn(APP, "sha256('skt_unknown'::bytea)"),
    "begin_idempotent_request": Fn(APP, "'key-1', sha256('POST /x'::bytea), 'app1', " + NOW),
    # Reserves the key in the same statement (begin_idempotent_request), then stores the answer.
    "finish_idempotent_request": Fn(
        APP,
        "(SELECT 'key-2' FROM scheduling.begin_idempotent_request('key-2', sha256('x'::bytea), 'app1', "
        + NOW
        + ")), 'app1', 201, '{}'",
    ),
    "booking_details": Fn(APP, "'<booking>'"),
    "sessions_between": Fn(APP, "'2030-06-01 00:00+00', '2030-06-08 00:00+00'"),
    "workshop_availability": Fn(APP, "'<workshop>', " + NOW),
    "claim_due_reminders": Fn(WORKER, "'worker-1', 10, '60 seconds', '2030-06-03 09:00+02'"),
    "record_reminder_sent": Fn(WORKER, f"'<leased_reminder>', '{TOKEN}', 'wamid.1'"),
    "record_reminder_failure": Fn(WORKER, f"'<leased_reminder>', '{TOKEN}', '131026', 'undeliverable', false"),
    "release_reminder": Fn(WORKER, f"'<leased_reminder>', '{TOKEN}'"),
    "mark_reminder_uncertain": Fn(WORKER, f"'<leased_reminder>', '{TOKEN}'"),
    "record_reminder_outcomes": Fn(WORKER, f"jsonb_build_array({OUTCOME}::jsonb)"),
    "take_send_tokens": Fn(WORKER, "'cloud_api:hostile', 5"),
    "return_send_tokens": Fn(WORKER, "'cloud_api:hostile', 1"),
    "seconds_until_send_tokens": Fn(WORKER, "'cloud_api:hostile', 5"),
    "seconds_until_next_reminder": Fn(WORKER, NOW),
    "worker_heartbeat": Fn(WORKER, "'worker-1', 'console', '{\"sent\": 1}'"),
    "halt_sending": Fn(WORKER, "'cloud_api:hostile', '190', 'Session has expired', 'worker-1'"),
    "sender_halt": Fn(WORKER, "'cloud_api:hostile'"),
    "health": Fn(WORKER, "'2 minutes', '5 minutes'", also=CRON),
    "health_report": Fn(WORKER, "NULL", also=CRON),
    "metrics_snapshot": Fn(WORKER, "now()"),
    "tick": Fn(CRON, NOW),
    "activate_scheduled_sessions": Fn(CRON, NOW),
    "auto_close_expired_sessions": Fn(CRON, NOW),
    "generate_all_recurring_sessions": Fn(CRON, "30, " + NOW),
    "archive_closed_sessions": Fn(CRON, "'90 days', 100, " + NOW),
    "purge_old_records": Fn(CRON, "'7 days', 100, " + NOW),
    "preview": Fn(APP, NOW, also=CRON),
    "erase_person": Fn(APP, "'<other>', 'asked to be forgotten', p_now => " + NOW),
    "record_delivery_status": Fn(WEBHOOK, "'whatsapp', 'wamid.hostile-1', 'delivered'"),
    "record_inbound_message": Fn(WEBHOOK, "'whatsapp', 'wamid.hostile-in-1', '4915100000001', 'Thanks'"),
}

# What the fixture holds (tests/test_hostile_input.py builds it; the catalogue prints this legend).
FIXTURE: dict[str, str] = {
    "host": "a person, Europe/Berlin, with a phone and WhatsApp consent, working Monday to Friday 08:00-18:00",
    "host_day_off": "the id of `host`'s day off on 2030-12-24 (a working-hours exception)",
    "attendee": "a person booked into `session`, `appointment_session` and `workshop_session`",
    "other": "a person with no booking (a cancelled one in `session`)",
    "session": "a scheduled group session (capacity 3) on 2030-06-03 10:00-11:00 Europe/Berlin",
    "booking": "`attendee`'s confirmed seat in `session`",
    "cancelled_booking": "`other`'s cancelled seat in `session`",
    "appointment_session": "a 1:1 appointment (capacity 1) on 2030-06-04, full",
    "appointment_booking": "`attendee`'s booking of `appointment_session`",
    "in_progress_session": "a session started by hand, 2030-06-05",
    "cancelled_session": "a cancelled session, 2030-06-06",
    "deleted_session": "a soft-deleted session, 2030-06-07",
    "template": "an active weekly template (Mondays 09:00 Europe/Berlin from 2030-01-07)",
    "paused_template": "a paused template",
    "ended_template": "an ended template",
    "workshop": "a workshop (capacity 2) with run `run`: day 1 `workshop_session` on 2030-06-08",
    "run": "the workshop's run",
    "workshop_session": "day 1 of `run`, `attendee` enrolled",
    "empty_workshop": "a workshop with no runs",
    "leased_reminder": f"`booking`'s reminder, leased by worker-1 with attempt token {TOKEN}",
    "pending_reminder": "`appointment_booking`'s reminder, pending",
    "cloud_api:hostile": "a sending number whose token bucket exists",
}

# The database URLs a command line may use ($URL: the fixture database as its superuser).
URLS: dict[str, str] = {
    "$URL": "the fixture database, as its owner",
    "$APP_URL": "the fixture database, as a login that only holds sessionkeeper_app",
    "$WORKER_URL": "the fixture database, as a login that only holds sessionkeeper_worker",
    "$NOBODY_URL": "the fixture database, as a login with no grants",
    "$UNREACHABLE": "postgresql://sessionkeeper@127.0.0.1:1/sessionkeeper (nothing listens there)",
    "$WRONG_PASSWORD": "the fixture server with a wrong password",
    "$NO_SUCH_DB": "the fixture server, a database that does not exist",
    "$NOT_A_URL": "the words `not a url`",
    "$EMPTY_DIR": "an empty folder (no embedded database in it)",
}


@dataclass(frozen=True)
class SqlCase:
    id: str
    target: str
    wrong: str
    sql: str
    role: str
    sqlstate: str
    today: str | None = None  # an open problem: the SQLSTATE it gives today instead (the test expects a failure)
    simulated_time: bool = True  # False: run with sessionkeeper.simulated_time = off, as on a real server


@dataclass(frozen=True)
class CliCase:
    id: str
    target: str
    wrong: str
    argv: tuple[str, ...]
    exit_code: int
    says: str  # the stderr line, "…" standing for parts that vary (for a usage error: the option it names)
    project: str | None = None  # run with SESSIONKEEPER_PROJECT_DIR = a copy of the project changed as PROJECTS says
    simulated_time: bool = True  # False: connect with sessionkeeper.simulated_time = off (PGOPTIONS)

    @property
    def usage_error(self) -> bool:
        """A click usage error (exit 2, a few lines of usage naming the option); healthcheck's exit 2 is not one."""
        return self.exit_code == 2 and self.says.startswith(("'", "--", "No such"))


@dataclass(frozen=True)
class AcceptedCase:
    """Free text that is data, not code: stored verbatim, and only the tables named change."""

    id: str
    target: str
    wrong: str
    sql: str  # returns the id of the row written
    read_back: str  # SQL with %s for that id, returning the stored text
    expected: str
    tables: frozenset[str]


# Changed copies of the project a `migrate` row runs against.
PROJECTS: dict[str, str] = {
    "edited_migration": "migrations/0001_scheduling_schema.sql edited after it was applied",
    "broken_sql": "sql/functions/create_person.sql with a syntax error",
}


def sql(target, slug, wrong, args, sqlstate, role=None, today=None, simulated_time=True) -> SqlCase:
    """One call of scheduling.<target>(<args>), as the role it is granted to unless ``role`` says otherwise.
    ``today``: the SQLSTATE an open problem gives instead of ``sqlstate`` (see OPEN). The test cluster has
    simulated time on (the fixture lies in 2030); ``simulated_time=False`` switches it off for the row."""
    sql_text = f"SELECT scheduling.{target}({args})"
    role = role or FUNCTIONS[target].role
    return SqlCase(f"{target}/{slug}", target, wrong, sql_text, role, sqlstate, today, simulated_time)


def calls(target: str):
    """sql() for one function, so that its rows stay one line each."""

    def make(slug: str, wrong: str, args: str, sqlstate: str, role=None, today=None, simulated_time=True) -> SqlCase:
        return sql(target, slug, wrong, args, sqlstate, role, today, simulated_time)

    return make


def cli(
    target: str,
    slug: str,
    wrong: str,
    command: str,
    exit_code: int,
    says: str,
    project: str | None = None,
    simulated_time: bool = True,
):
    """One command line. It runs against the fixture database (``--database-url $URL``) unless it starts with
    another ``$NAME`` of URLS (then that is the URL) or with ``--pgdata``. Words are split on spaces; a word in
    single quotes stays one argument. ``simulated_time=False``: its connections have simulated time off."""
    words = _split(command)
    if words[0].startswith("$"):
        words = ["--database-url", *words]
    elif words[0] != "--pgdata":
        words = ["--database-url", "$URL", *words]
    case_id = f"cli:{target}/{slug}".replace(" ", "-")
    return CliCase(case_id, target, wrong, tuple(words), exit_code, says, project, simulated_time)


def accepted(target, slug, args, column, tables, text=SQL_TEXT, pick="", value=None) -> AcceptedCase:
    """``text`` (as a SQL literal, or the SQL expression ``value``) in place of {} in scheduling.<target>(<args>),
    read back from ``table.column`` of the row whose id the call returns (``pick``: that field of a returned row);
    only ``tables`` may change."""
    table, _, field = column.partition(".")
    args = args.replace("{}", value or "'" + text.replace("'", "''") + "'")
    call = f"SELECT (scheduling.{target}({args})){pick}" if pick else f"SELECT scheduling.{target}({args})"
    read_back = f"SELECT {field} FROM scheduling.{table} WHERE id = %s"
    wrong = "SQL in " + field.replace("_", " ") if text == SQL_TEXT else _describe(text)
    return AcceptedCase(f"{target}/{slug}", target, wrong, call, read_back, text, frozenset(tables.split()))


def _describe(text: str) -> str:
    if len(set(text)) == 1:
        return f"{len(text)} characters (the limit)"
    return "quotes, a backslash, markup and emoji"


def _split(command: str) -> list[str]:
    words, current, quoted = [], "", False
    for char in command:
        if char == "'":
            quoted = not quoted
        elif char == " " and not quoted:
            if current:
                words.append(current)
            current = ""
        else:
            current += char
    return [*words, current] if current else words


def _role_cases() -> list[SqlCase]:
    """Each function, called as its own role would call it successfully, by a group role it is not granted to
    and by a role with no grants at all."""
    cases = []
    for target, fn in FUNCTIONS.items():
        other = WORKER if fn.role == APP else APP
        cases.append(sql(target, f"as-{other.split('_')[1]}", f"called as {other}", fn.good_call, "42501", other))
        cases.append(sql(target, "as-nobody", "called by a role with no grants", fn.good_call, "42501", NOBODY))
    return cases


person = calls("create_person")
consent = calls("set_whatsapp_consent")
amend = calls("update_person")
session = calls("create_session")
start = calls("start_session")
complete = calls("complete_session")
cancel = calls("cancel_session")
no_show = calls("mark_no_show")
move = calls("reschedule_session")
delete = calls("delete_session")
book = calls("create_booking")
unbook = calls("cancel_booking")
appointment = calls("create_appointment")
move_booking = calls("reschedule_booking")
template = calls("create_template")
update = calls("update_template")
pause = calls("pause_template")
resume = calls("resume_template")
end = calls("end_template")
skip = calls("skip_template_occurrence")
occurrences = calls("template_occurrences")
generate = calls("generate_recurring_sessions")
workshop = calls("create_workshop")
run = calls("create_workshop_run")
day = calls("add_workshop_session")
clone = calls("clone_workshop_sessions")
enroll = calls("enroll")
next_seat = calls("book_next_available")
hours = calls("set_working_hours")
hours_off = calls("add_working_hours_exception")
hours_back = calls("remove_working_hours_exception")
worked = calls("working_time")
slots = calls("free_slots")
next_slot = calls("book_next_available_slot")
agenda = calls("host_agenda")
claim = calls("claim_due_reminders")
sent = calls("record_reminder_sent")
failure = calls("record_reminder_failure")
release = calls("release_reminder")
uncertain = calls("mark_reminder_uncertain")
outcomes = calls("record_reminder_outcomes")
take = calls("take_send_tokens")
give_back = calls("return_send_tokens")
wait_tokens = calls("seconds_until_send_tokens")
wait_next = calls("seconds_until_next_reminder")
heartbeat = calls("worker_heartbeat")
halt = calls("halt_sending")
read_halt = calls("sender_halt")
health = calls("health")
health_report = calls("health_report")
metrics_snapshot = calls("metrics_snapshot")
activity = calls("reminder_activity_by_hour")
token_actor = calls("api_token_actor")
begin_request = calls("begin_idempotent_request")
finish_request = calls("finish_idempotent_request")
booking_details = calls("booking_details")
sessions_between = calls("sessions_between")
workshop_availability = calls("workshop_availability")
tick = calls("tick")
activate = calls("activate_scheduled_sessions")
close = calls("auto_close_expired_sessions")
generate_all = calls("generate_all_recurring_sessions")
archive = calls("archive_closed_sessions")
purge = calls("purge_old_records")
preview = calls("preview")
status = calls("record_delivery_status")
inbound = calls("record_inbound_message")
erase = calls("erase_person")


def text_(slug: str, wrong: str, args: str, sqlstate: str, role: str = OWNER) -> SqlCase:
    """upsert_message_template is granted to no role: its rows run as the owner, unless ``role`` says otherwise."""
    return sql("upsert_message_template", slug, wrong, args, sqlstate, role)


LEASED = f"'<leased_reminder>', '{TOKEN}'"  # the leased reminder and its current attempt token
STALE = f"'<leased_reminder>', {UNKNOWN}"  # the leased reminder and a token that is not its own
HUGE_JSON = f"jsonb_build_object('x', {HUGE})"  # a JSON object of 1 MB


def yoga(title="'Yoga'", rule="'FREQ=DAILY'", first="'2030-01-01'", start="'09:00'", length="'1 hour'", more=""):
    """The arguments of a valid create_template call by <host>, with some of them replaced."""
    return f"'<host>', {title}, {rule}, {first}, {start}, {length}{more}"


BUCKET = "'cloud_api:hostile'"

_HAND_WRITTEN: list[SqlCase] = [
    # ---- people ---------------------------------------------------------------------------------------------
    person("blank-name", "full name blank", "'   '", "SK009"),
    person("null-name", "full name NULL", "NULL", "SK009"),
    person("huge-name", "full name of 1 MB", HUGE, "SK034"),
    person("name-201", "full name of 201 characters (limit 200)", "repeat('n', 201)", "SK034"),
    person("phone-local", "phone not E.164", "'Ann', '0151 2345678'", "SK006"),
    person("phone-sql", "SQL in the phone", "'Ann', '+49''; DROP TABLE scheduling.people; --'", "SK006"),
    person("phone-huge", "phone of 1 MB", "'Ann', '+' || repeat('1', 1048576)", "SK034"),
    person("tz-misspelt", "time zone misspelt", "'Ann', NULL, 'Europe/Berln'", "SK005"),
    person("tz-lowercase", "time zone in the wrong case", "'Ann', NULL, 'europe/berlin'", "SK005"),
    consent("source-unknown", "source 'sms'", "'<attendee>', false, 'sms'", "SK052"),
    consent("source-null", "source NULL", "'<attendee>', false, NULL", "SK052"),
    consent("source-sql", "SQL as the source", f"'<attendee>', false, {INJECT}", "SK052"),
    consent("person-unknown", "a person that does not exist", f"{UNKNOWN}, false, 'app'", "SK007"),
    consent("person-garbage", "person id not a uuid", "'nobody', false, 'app'", "22P02"),
    consent("consent-null", "consent NULL", "'<attendee>', NULL, 'app'", "SK009"),
    consent("actor-huge", "actor of 1 MB", f"'<attendee>', false, 'app', {HUGE}", "SK034"),
    consent("null-now", "p_now NULL", "'<attendee>', false, 'app', 'x', NULL", "SK009"),
    person("tz-offset", "an offset, not a zone", "'Ann', NULL, '+02:00'", "SK005"),
    person("tz-sql", "SQL in the time zone", f"'Ann', NULL, {INJECT}", "SK005"),
    person("tz-huge", "time zone of 1 MB", f"'Ann', NULL, {HUGE}", "SK034"),
    person("tz-null", "time zone NULL", "'Ann', NULL, NULL", "SK005"),
    person("consent-text", "consent not a boolean", "'Ann', NULL, 'UTC', 'maybe'", "22P02"),
    person("extra-arg", "one argument too many", "'Ann', NULL, 'UTC', true, 'en', 'extra'", "42883"),
    person("phone-taken", "the host's phone, spaces and all", "'Ann', '+49 151 0000 0001'", "SK049"),
    person("lang-unknown", "language unknown", "'Ann', NULL, 'UTC', true, 'klingon'", "SK050"),
    person("lang-case", "language in the wrong case", "'Ann', NULL, 'UTC', true, 'PT_br'", "SK050"),
    person("lang-sql", "SQL in the language", f"'Ann', NULL, 'UTC', true, {INJECT}", "SK050"),
    person("lang-huge", "language of 1 MB", f"'Ann', NULL, 'UTC', true, {HUGE}", "SK034"),
    amend("unknown", "person unknown", f"{UNKNOWN}, p_full_name => 'X'", "SK007"),
    amend("null-id", "person NULL", "NULL, p_full_name => 'X'", "SK007"),
    amend("blank-name", "full name blank", "'<other>', p_full_name => '   '", "SK009"),
    amend("huge-name", "full name of 1 MB", f"'<other>', p_full_name => {HUGE}", "SK034"),
    amend("phone-local", "phone without a country code", "'<other>', p_phone => '0151 2345678'", "SK006"),
    amend("phone-sql", "SQL in the phone", "'<other>', p_phone => '+49''; DROP TABLE scheduling.people; --'", "SK006"),
    amend("phone-taken", "the attendee's phone, written with 00", "'<other>', p_phone => '004915100000002'", "SK049"),
    amend(
        "phone-and-clear",
        "a phone given and cleared",
        "'<other>', p_phone => '+4915100000099', p_clear_phone => true",
        "SK051",
    ),
    amend(
        "lang-and-clear",
        "a language given and cleared",
        "'<other>', p_language => 'en', p_clear_language => true",
        "SK051",
    ),
    amend("tz-misspelt", "time zone misspelt", "'<other>', p_time_zone => 'Europe/Berln'", "SK005"),
    amend("lang-unknown", "language unknown", "'<other>', p_language => 'klingon'", "SK050"),
    amend("lang-sql", "SQL in the language", f"'<other>', p_language => {INJECT}", "SK050"),
    amend("actor-huge", "actor of 1 MB", f"'<other>', p_full_name => 'X', p_actor => {HUGE}", "SK034"),
    amend("null-now", "p_now NULL", "'<other>', p_full_name => 'X', p_now => NULL", "SK009"),
    amend("clear-text", "p_clear_phone not a boolean", "'<other>', p_clear_phone => 'maybe'", "22P02"),
    amend("extra-arg", "an argument it does not take", "'<other>', p_whatsapp_consent => false", "42883"),
    # ---- sessions -------------------------------------------------------------------------------------------
    session("end-before-start", "end before start", f"'<host>', 'T', {BACKWARDS}", "SK004"),
    session("empty-slot", "end equal to start", "'<host>', 'T', '2030-07-01 10:00+02', '2030-07-01 10:00+02'", "SK004"),
    session("null-start", "start NULL", "'<host>', 'T', NULL, '2030-07-01 10:00+02'", "SK004"),
    session("feb-30", "impossible date", f"'<host>', 'T', {FEB30}", "22008"),
    session("year-10000", "year 10000", f"'<host>', 'T', {Y10K}", "SK009"),
    session("infinite", "an infinite slot", "'<host>', 'T', '-infinity', 'infinity'", "SK009"),
    session("not-a-time", "start not a time", "'<host>', 'T', 'next tuesday', '2030-07-01 11:00+02'", "22007"),
    session("zone-in-time", "zone typo in the time", "'<host>', 'T', '2030-07-01 10:00 Europe/Berln', NULL", "22023"),
    session("unknown-host", "host unknown", f"{UNKNOWN}, 'T', {SLOT}", "SK007"),
    session("null-host", "host NULL", f"NULL, 'T', {SLOT}", "SK007"),
    session("host-not-uuid", "host id not a uuid", f"'host-1', 'T', {SLOT}", "22P02"),
    session("host-sql", "SQL as the host id", f"{INJECT}, 'T', {SLOT}", "22P02"),
    session("blank-title", "title blank", f"'<host>', '', {SLOT}", "SK009"),
    session("huge-title", "title of 1 MB", f"'<host>', {HUGE}, {SLOT}", "SK034"),
    session("title-201", "title of 201 characters", f"'<host>', repeat('t', 201), {SLOT}", "SK034"),
    session("tz-misspelt", "time zone misspelt", f"'<host>', 'T', {SLOT}, 'Europe/Berln'", "SK005"),
    session("tz-sql", "SQL in the time zone", f"'<host>', 'T', {SLOT}, {INJECT}", "SK005"),
    session("start-mode", "unknown start mode", f"'<host>', 'T', {SLOT}, NULL, 'manual'", "22P02"),
    session("capacity-negative", "capacity -1", f"'<host>', 'T', {SLOT}, p_capacity => -1", "SK009"),
    session("capacity-overflow", "capacity above 2^31", f"'<host>', 'T', {SLOT}, p_capacity => '2147483648'", "22003"),
    session("metadata-array", "metadata not an object", f"'<host>', 'T', {SLOT}, p_metadata => '[]'", "SK009"),
    session("metadata-json", "metadata not JSON", f"'<host>', 'T', {SLOT}, p_metadata => '{{\"a\":'", "22P02"),
    session("metadata-huge", "metadata of 1 MB", f"'<host>', 'T', {SLOT}, p_metadata => {HUGE_JSON}", "SK034"),
    session("huge-actor", "actor of 1 MB", f"'<host>', 'T', {SLOT}, p_actor => {HUGE}", "SK034"),
    session("missing-args", "no slot given", "'<host>', 'T'", "42883"),
    start("unknown", "session unknown", UNKNOWN, "SK001"),
    start("null", "session NULL", "NULL", "SK001"),
    start("after-slot", "slot already over", "'<session>', p_now => '2030-06-03 11:30+02'", "SK008"),
    start("cancelled", "session cancelled", "'<cancelled_session>'", "SK003"),
    start("twice", "started twice", "'<in_progress_session>'", "SK003"),
    start("null-now", "p_now NULL", "'<session>', p_now => NULL", "SK009"),
    start("huge-actor", "actor of 1 MB", f"'<session>', {HUGE}", "SK034"),
    complete("scheduled", "session not started", "'<session>'", "SK003"),
    complete("deleted", "session deleted", "'<deleted_session>'", "SK002"),
    complete("not-uuid", "id not a uuid", "'42'", "22P02"),
    complete("integer-id", "id of the wrong type", "42", "42883"),
    complete("null-now", "p_now NULL", "'<in_progress_session>', p_now => NULL", "SK009"),
    cancel("unknown", "session unknown", UNKNOWN, "SK001"),
    cancel("twice", "cancelled twice", "'<cancelled_session>'", "SK003"),
    cancel("deleted", "session deleted", "'<deleted_session>'", "SK002"),
    cancel("huge-reason", "reason of 1 MB", f"'<session>', {HUGE}", "SK034"),
    cancel("reason-2001", "reason of 2001 characters (limit 2000)", "'<session>', repeat('r', 2001)", "SK034"),
    cancel("huge-actor", "actor of 1 MB", f"'<session>', 'ill', {HUGE}", "SK034"),
    cancel("null-now", "p_now NULL", "'<session>', 'ill', 'me', NULL", "SK009"),
    no_show("before-start", "before the session starts", f"'<session>', p_now => {NOW}", "SK008"),
    no_show("cancelled", "session cancelled", "'<cancelled_session>', p_now => '2030-07-01'", "SK003"),
    no_show("unknown", "session unknown", UNKNOWN, "SK001"),
    no_show("null-now", "p_now NULL", "'<session>', p_now => NULL", "SK009"),
    move("end-before-start", "new end before new start", f"'<session>', {BACKWARDS}", "SK004"),
    move("null-end", "new end NULL", "'<session>', '2030-07-01 10:00+02', NULL", "SK004"),
    move("past", "new slot already over", f"'<session>', {SLOT}, p_now => '2031-01-01'", "SK008"),
    move("feb-30", "impossible date", f"'<session>', {FEB30}", "22008"),
    move("year-10000", "year 10000", f"'<session>', {Y10K}", "SK009"),
    move("in-progress", "session in progress", f"'<in_progress_session>', {SLOT}", "SK003"),
    move("deleted", "session deleted", f"'<deleted_session>', {SLOT}", "SK002"),
    move("null-now", "p_now NULL", f"'<session>', {SLOT}, 'me', NULL", "SK009"),
    delete("twice", "deleted twice", "'<deleted_session>'", "SK002"),
    delete("unknown", "session unknown", UNKNOWN, "SK001"),
    delete("sql-id", "SQL as the id", INJECT, "22P02"),
    delete("huge-reason", "reason of 1 MB", f"'<session>', {HUGE}", "SK034"),
    delete("null-now", "p_now NULL", "'<session>', 'gone', 'me', NULL", "SK009"),
    # ---- bookings -------------------------------------------------------------------------------------------
    book("twice", "the person is already booked", "'<session>', '<attendee>'", "SK011"),
    book("full", "session full", "'<appointment_session>', '<other>'", "SK012"),
    book("unknown-session", "session unknown", f"{UNKNOWN}, '<other>'", "SK001"),
    book("null-session", "session NULL", "NULL, '<other>'", "SK001"),
    book("unknown-person", "person unknown", f"'<session>', {UNKNOWN}", "SK007"),
    book("cancelled-session", "session cancelled", "'<cancelled_session>', '<other>'", "SK003"),
    book("deleted-session", "session deleted", "'<deleted_session>', '<other>'", "SK002"),
    book("huge-order", "order reference of 1 MB", f"'<session>', '<other>', {HUGE}", "SK034"),
    book("order-201", "order reference of 201 characters", "'<session>', '<other>', repeat('o', 201)", "SK034"),
    book("huge-actor", "actor of 1 MB", f"'<session>', '<other>', NULL, {HUGE}", "SK034"),
    book("null-now", "p_now NULL", "'<session>', '<other>', NULL, 'me', NULL", "SK009"),
    unbook("twice", "cancelled twice", "'<cancelled_booking>'", "SK013"),
    unbook("unknown", "booking unknown", UNKNOWN, "SK010"),
    unbook("null", "booking NULL", "NULL", "SK010"),
    unbook("sql-id", "SQL as the id", INJECT, "22P02"),
    unbook("huge-reason", "reason of 1 MB", f"'<booking>', {HUGE}", "SK034"),
    unbook("huge-actor", "actor of 1 MB", f"'<booking>', 'x', {HUGE}", "SK034"),
    unbook("null-now", "p_now NULL", "'<booking>', 'x', 'me', NULL", "SK009"),
    appointment("unknown-host", "host unknown", f"{UNKNOWN}, '<other>', 'Haircut', {SLOT}", "SK007"),
    appointment("unknown-person", "person unknown", f"'<host>', {UNKNOWN}, 'Haircut', {SLOT}", "SK007"),
    appointment("unknown-policy", "policy misspelt", f"'<host>', '<other>', 'Cut', {SLOT}, 'every_2_hourz'", "SK016"),
    appointment("policy-sql", "SQL as the policy name", f"'<host>', '<other>', 'Cut', {SLOT}, {INJECT}", "SK016"),
    appointment("policy-huge", "policy name of 1 MB", f"'<host>', '<other>', 'Cut', {SLOT}, {HUGE}", "SK034"),
    appointment("huge-service", "service of 1 MB", f"'<host>', '<other>', {HUGE}, {SLOT}", "SK034"),
    appointment("end-before-start", "end before start", f"'<host>', '<other>', 'Cut', {BACKWARDS}", "SK004"),
    appointment("year-10000", "year 10000", f"'<host>', '<other>', 'Cut', {Y10K}", "SK009"),
    appointment(
        "night",
        "outside the host's working hours",
        "'<host>', '<other>', 'Cut', '2030-07-01 03:00+02', '2030-07-01 04:00+02'",
        "SK063",
    ),
    move_booking("group-seat", "a seat in a group session", f"'<booking>', {SLOT}", "SK014"),
    move_booking("cancelled", "booking cancelled", f"'<cancelled_booking>', {SLOT}", "SK013"),
    move_booking("unknown", "booking unknown", f"{UNKNOWN}, {SLOT}", "SK010"),
    move_booking("end-before-start", "new end before new start", f"'<appointment_booking>', {BACKWARDS}", "SK004"),
    move_booking("feb-30", "impossible date", f"'<appointment_booking>', {FEB30}", "22008"),
    move_booking("year-10000", "year 10000", f"'<appointment_booking>', {Y10K}", "SK009"),
    move_booking("null-now", "p_now NULL", f"'<appointment_booking>', {SLOT}, 'me', NULL", "SK009"),
    # ---- recurring templates --------------------------------------------------------------------------------
    template("rrule-freq", "unsupported FREQ", yoga(rule="'FREQ=HOURLY'"), "SK023"),
    template("rrule-sql", "SQL as the rule", yoga(rule=INJECT), "SK023"),
    template("rrule-huge", "rule of 1 MB", yoga(rule=HUGE), "SK034"),
    template("monthday-32", "BYMONTHDAY=32", yoga(rule="'FREQ=MONTHLY;BYMONTHDAY=32'"), "SK023"),
    template("count-until", "COUNT with UNTIL", yoga(rule="'FREQ=DAILY;COUNT=3;UNTIL=20300201'"), "SK024"),
    template("duration-zero", "duration 0", yoga(length="'0 minutes'"), "SK025"),
    template("duration-text", "duration not an interval", yoga(length="'forever'"), "22007"),
    template("start-25h", "local start 25:00", yoga(start="'25:00'"), "22008"),
    template("feb-30", "impossible first date", yoga(first="'2030-02-30'"), "22008"),
    template("year-10000", "first date in year 10000", yoga(first="'10000-01-01'"), "SK009"),
    template("infinite-date", "first date infinity", yoga(first="'infinity'"), "SK009"),
    template("tz-misspelt", "time zone misspelt", yoga(more=", 'America/Sao_Pualo'"), "SK005"),
    template("unknown-policy", "reminder policy unknown", yoga(more=", p_reminder_policy => 'weekly'"), "SK016"),
    template("huge-title", "title of 1 MB", yoga(title=HUGE), "SK034"),
    template("huge-metadata", "metadata of 1 MB", yoga(more=f", p_metadata => {HUGE_JSON}"), "SK034"),
    template("unknown-host", "host unknown", yoga().replace("'<host>'", UNKNOWN), "SK007"),
    template("huge-actor", "actor of 1 MB", yoga(more=f", p_actor => {HUGE}"), "SK034"),
    update("unknown", "template unknown", f"{UNKNOWN}, p_title => 'Yoga'", "SK022"),
    update("ended", "template ended", "'<ended_template>', p_title => 'Yoga'", "SK026"),
    update("rrule", "invalid rule", "'<template>', p_rrule => 'FREQ=WEEKLY;INTERVAL=0'", "SK023"),
    update("tz-misspelt", "time zone misspelt", "'<template>', p_time_zone => 'Europe/Berln'", "SK005"),
    update("blank-title", "title blank", "'<template>', p_title => ' '", "SK009"),
    update("huge-actor", "actor of 1 MB", f"'<template>', p_title => 'Yoga', p_actor => {HUGE}", "SK034"),
    update("null-now", "p_now NULL", "'<template>', p_title => 'Yoga', p_now => NULL", "SK009"),
    pause("twice", "paused twice", "'<paused_template>'", "SK026"),
    pause("ended", "template ended", "'<ended_template>'", "SK026"),
    pause("huge-reason", "reason of 1 MB", f"'<template>', {HUGE}", "SK034"),
    pause("null-now", "p_now NULL", "'<template>', 'x', 'me', NULL", "SK009"),
    resume("active", "template not paused", "'<template>'", "SK026"),
    resume("days-negative", "days ahead -1", f"'<paused_template>', -1, p_now => {NOW}", "SK009"),
    resume("huge-actor", "actor of 1 MB", f"'<paused_template>', 30, {HUGE}", "SK034"),
    resume("unknown", "template unknown", UNKNOWN, "SK022"),
    end("twice", "ended twice", "'<ended_template>'", "SK026"),
    end("unknown", "template unknown", UNKNOWN, "SK022"),
    end("huge-reason", "reason of 1 MB", f"'<template>', {HUGE}", "SK034"),
    skip("not-occurrence", "a Tuesday of a Monday rule", "'<template>', '2030-01-15'", "SK027"),
    skip("null-date", "date NULL", "'<template>', NULL", "SK009"),
    skip("feb-30", "impossible date", "'<template>', '2030-02-30'", "22008"),
    skip("year-10000", "year 10000", "'<template>', '10000-01-03'", "SK009"),
    skip("huge-reason", "reason of 1 MB", f"'<template>', '2030-01-14', {HUGE}", "SK034"),
    skip("unknown", "template unknown", f"{UNKNOWN}, '2030-01-14'", "SK022"),
    occurrences("unknown", "template unknown", f"{UNKNOWN}, '2030-01-01', '2030-02-01'", "SK022"),
    occurrences("null-bound", "a bound NULL", "'<template>', NULL, '2030-02-01'", "SK009"),
    occurrences("8000-years", "8,000 years of dates", "'<template>', '2000-01-01', '9999-12-31'", "SK009"),
    occurrences("infinite", "an infinite bound", "'<template>', '2030-01-01', 'infinity'", "SK009"),
    generate("unknown", "template unknown", f"{UNKNOWN}, 30", "SK022"),
    generate("days-negative", "days ahead -1", "'<template>', -1", "SK009"),
    generate("days-huge", "days ahead 100000", "'<template>', 100000", "SK009"),
    generate("null-now", "p_now NULL", "'<template>', 30, NULL", "SK009"),
    generate("days-text", "days ahead not a number", "'<template>', 'thirty'", "22P02"),
    # ---- workshops ------------------------------------------------------------------------------------------
    workshop("blank-title", "title blank", "'<host>', ''", "SK009"),
    workshop("huge-title", "title of 1 MB", f"'<host>', {HUGE}", "SK034"),
    workshop("capacity-negative", "capacity -1", "'<host>', 'Pottery', -1", "SK009"),
    workshop("unknown-host", "host unknown", f"{UNKNOWN}, 'Pottery'", "SK007"),
    workshop("tz-sql", "SQL in the time zone", f"'<host>', 'Pottery', 0, {INJECT}", "SK005"),
    workshop("unknown-policy", "reminder policy unknown", "'<host>', 'Pottery', 0, NULL, 'weekly'", "SK016"),
    workshop("huge-description", "description of 1 MB", f"'<host>', 'Pottery', 0, NULL, NULL, {HUGE}", "SK034"),
    run("unknown", "workshop unknown", f"{UNKNOWN}, 'Batch', '2030-07-06'", "SK028"),
    run("blank-name", "run name blank", "'<workshop>', '', '2030-07-06'", "SK009"),
    run("huge-name", "run name of 1 MB", f"'<workshop>', {HUGE}, '2030-07-06'", "SK034"),
    run("null-date", "start date NULL", "'<workshop>', 'Batch', NULL", "SK009"),
    run("feb-30", "impossible date", "'<workshop>', 'Batch', '2030-02-30'", "22008"),
    run("year-10000", "year 10000", "'<workshop>', 'Batch', '10000-01-01'", "SK009"),
    day("unknown-run", "run unknown", f"{UNKNOWN}, 2, {SLOT}", "SK029"),
    day("day-taken", "day 1 again", f"'<run>', 1, {SLOT}", "SK033"),
    day("day-zero", "day 0", f"'<run>', 0, {SLOT}", "SK033"),
    day("end-before-start", "end before start", f"'<run>', 2, {BACKWARDS}", "SK004"),
    day("year-10000", "year 10000", f"'<run>', 2, {Y10K}", "SK009"),
    day("capacity-negative", "capacity -1", f"'<run>', 2, {SLOT}, -1", "SK009"),
    day("huge-metadata", "metadata of 1 MB", f"'<run>', 2, {SLOT}, NULL, {HUGE_JSON}", "SK034"),
    clone("unknown", "workshop unknown", f"{UNKNOWN}, '2030-09-07'", "SK028"),
    clone("empty", "nothing to clone", f"'<empty_workshop>', '2030-09-07', p_now => {NOW}", "SK030"),
    clone("past", "start date in the past", f"'<workshop>', '2029-09-07', p_now => {NOW}", "SK031"),
    clone("null-date", "start date NULL", "'<workshop>', NULL", "SK009"),
    clone("year-10000", "year 10000", f"'<workshop>', '10000-01-01', p_now => {NOW}", "SK009"),
    clone("other-run", "a run of another workshop", f"'<empty_workshop>', '2030-09-07', NULL, {NOW}, '<run>'", "SK029"),
    clone("huge-name", "run name of 1 MB", f"'<workshop>', '2030-09-07', {HUGE}, {NOW}", "SK034"),
    enroll("twice", "already enrolled", f"'<workshop_session>', '<attendee>', p_now => {NOW}", "SK011"),
    enroll("unknown-session", "session unknown", f"{UNKNOWN}, '<other>'", "SK001"),
    enroll("unknown-person", "person unknown", f"'<workshop_session>', {UNKNOWN}, p_now => {NOW}", "SK007"),
    enroll("started", "session already started", "'<workshop_session>', '<other>', p_now => '2030-06-09'", "SK008"),
    enroll("cancelled", "session cancelled", f"'<cancelled_session>', '<other>', p_now => {NOW}", "SK003"),
    enroll("huge-order", "order ref of 1 MB", f"'<workshop_session>', '<other>', {HUGE}, p_now => {NOW}", "SK034"),
    enroll("whole-run-text", "p_whole_run text", "'<workshop_session>', '<other>', NULL, 'yes please'", "22P02"),
    enroll("null-now", "p_now NULL", "'<workshop_session>', '<other>', p_now => NULL", "SK009"),
    next_seat("unknown", "workshop unknown", f"{UNKNOWN}, '<other>'", "SK028"),
    next_seat("unknown-person", "person unknown", f"'<workshop>', {UNKNOWN}", "SK007"),
    next_seat("twice", "already holds every seat on offer", f"'<workshop>', '<attendee>', p_now => {NOW}", "SK032"),
    next_seat("empty", "workshop without sessions", "'<empty_workshop>', '<other>'", "SK032"),
    next_seat("huge-order", "order reference of 1 MB", f"'<workshop>', '<other>', {HUGE}, p_now => {NOW}", "SK034"),
    next_seat("null-now", "p_now NULL", "'<workshop>', '<other>', p_now => NULL", "SK009"),
    # ---- a host's time ----------------------------------------------------------------------------------------
    hours("unknown-host", "host unknown", f'{UNKNOWN}, \'{{"mon": ["09:00-12:00"]}}\'', "SK007"),
    hours("not-object", "hours a list, not an object", "'<host>', '[\"09:00-17:00\"]'", "SK060"),
    hours("bad-day", "day misspelt", "'<host>', '{\"monday\": [\"09:00-17:00\"]}'", "SK060"),
    hours("bad-time", "time 25:00", "'<host>', '{\"mon\": [\"09:00-25:00\"]}'", "SK060"),
    hours("sql-range", "SQL as a range", f"'<host>', jsonb_build_object('mon', jsonb_build_array({INJECT}))", "SK060"),
    hours("huge-range", "a range of 1 MB", f"'<host>', jsonb_build_object('mon', jsonb_build_array({HUGE}))", "SK060"),
    hours(
        "overlap", "two ranges overlapping", '\'<host>\', \'{"sun": ["22:00-02:00"], "mon": ["01:00-03:00"]}\'', "SK061"
    ),
    hours_off("bad-kind", "kind misspelt", "'<host>', '2030-07-02', 'holiday'", "SK060"),
    hours_off("no-hours", "extra hours without hours", "'<host>', '2030-07-02', 'extra_hours'", "SK060"),
    hours_off("huge-reason", "reason of 1 MB", f"'<host>', '2030-07-02', 'day_off', NULL, {HUGE}", "SK034"),
    hours_back("unknown", "exception unknown", "'<host>', 123456789", "SK060"),
    hours_back("unknown-host", "host unknown", f"{UNKNOWN}, '<host_day_off>'", "SK007"),
    worked("backwards", "p_to before p_from", "'<host>', '2030-07-08 00:00+02', '2030-07-01 00:00+02'", "SK062"),
    worked("two-years", "a window of two years", "'<host>', '2030-01-01', '2032-01-01'", "SK062"),
    slots("zero", "duration zero", f"'<host>', {WEEK}, '0 minutes'", "SK062"),
    slots("two-days", "duration two days", f"'<host>', {WEEK}, '2 days'", "SK062"),
    slots("tiny-step", "step of one second", f"'<host>', {WEEK}, '1 hour', '1 second'", "SK062"),
    slots("unknown-host", "host unknown", f"{UNKNOWN}, {WEEK}, '1 hour'", "SK007"),
    next_slot("zero", "duration zero", "'<host>', '<other>', '0 minutes'", "SK062"),
    next_slot("horizon", "a horizon of ten years", "'<host>', '<other>', '1 hour', p_within => '10 years'", "SK062"),
    next_slot("unknown-person", "person unknown", f"'<host>', {UNKNOWN}, '1 hour', p_now => {NOW}", "SK007"),
    next_slot("no-hours", "host without working hours", f"'<other>', '<attendee>', '1 hour', p_now => {NOW}", "SK064"),
    agenda("backwards", "p_to equal to p_from", "'<host>', '2030-07-01 00:00+02', '2030-07-01 00:00+02'", "SK062"),
    agenda("unknown-host", "host unknown", f"{UNKNOWN}, {WEEK}", "SK007"),
    # ---- the reminder worker --------------------------------------------------------------------------------
    claim("blank-worker", "worker name blank", "' '", "SK009"),
    claim("huge-worker", "worker name of 1 MB", HUGE, "SK034"),
    claim("limit-zero", "limit 0", "'w', 0", "SK009"),
    claim("lease-negative", "negative lease", "'w', 10, '-1 minute'", "SK017"),
    claim("lease-text", "lease not an interval", "'w', 10, 'a while'", "22007"),
    claim("null-now", "p_now NULL", "'w', 10, '1 minute', NULL", "SK009"),
    claim("infinite-now", "p_now infinity (a lease for ever)", "'w', 10, '1 minute', 'infinity'", "SK009"),
    sent("unknown", "reminder unknown", f"{UNKNOWN}, '{TOKEN}', 'wamid.1'", "SK019"),
    sent("wrong-token", "attempt token not the current one", f"{STALE}, 'wamid.1'", "SK018"),
    sent("null-token", "attempt token NULL", "'<leased_reminder>', NULL, 'wamid.1'", "SK018"),
    sent("not-leased", "the row was never claimed", f"'<pending_reminder>', '{TOKEN}', 'wamid.1'", "SK018"),
    sent("huge-provider-id", "provider message id of 1 MB", f"{LEASED}, {HUGE}", "SK036"),
    failure("unknown", "reminder unknown", f"{UNKNOWN}, '{TOKEN}', '1', 'x', true", "SK019"),
    failure("wrong-token", "attempt token not the current one", f"{STALE}, '1', 'x', true", "SK018"),
    failure("huge-message", "error message of 1 MB", f"{LEASED}, '131000', {HUGE}, true", "SK034"),
    failure("huge-code", "error code of 1 MB", f"{LEASED}, {HUGE}, 'x', true", "SK034"),
    failure("retryable-text", "retryable not a boolean", f"{LEASED}, '1', 'x', 'perhaps'", "22P02"),
    failure("null-now", "p_now NULL", f"{LEASED}, '1', 'x', true, NULL", "SK009"),
    release("unknown", "reminder unknown", f"{UNKNOWN}, '{TOKEN}'", "SK019"),
    release("wrong-token", "attempt token not the current one", STALE, "SK018"),
    release("huge-reason", "reason of 1 MB", f"{LEASED}, NULL, {HUGE}", "SK034"),
    release("feb-30", "impossible retry date", f"{LEASED}, '2030-02-30 10:00'", "22008"),
    release("null-now", "p_now NULL", f"{LEASED}, NULL, 'x', NULL", "SK009"),
    uncertain("unknown", "reminder unknown", f"{UNKNOWN}, '{TOKEN}'", "SK019"),
    uncertain("wrong-token", "attempt token not the current one", STALE, "SK018"),
    uncertain("not-leased", "the row was never claimed", f"'<pending_reminder>', '{TOKEN}'", "SK018"),
    uncertain("token-text", "token not a uuid", "'<leased_reminder>', 'abc'", "22P02"),
    outcomes("null", "batch NULL", "NULL", "SK065"),
    outcomes("object", "an object, not an array", OUTCOME, "SK065"),
    outcomes("not-object", "an entry that is not an object", "'[\"sent\"]'", "SK065"),
    outcomes("no-outcome", "an entry without its outcome", f"jsonb_build_array({OUTCOME}::jsonb - 'outcome')", "SK066"),
    outcomes("unknown-key", "an unknown key", f"jsonb_build_array({OUTCOME}::jsonb || '{{\"x\": 1}}')", "SK066"),
    outcomes(
        "bad-outcome",
        "outcome neither sent nor failed",
        f'jsonb_build_array({OUTCOME}::jsonb || \'{{"outcome": "ok"}}\')',
        "SK067",
    ),
    outcomes(
        "huge-id",
        "reminder id of 1 MB",
        f"jsonb_build_array({OUTCOME}::jsonb || jsonb_build_object('reminder_id', {HUGE}))",
        "SK067",
    ),
    outcomes("twice", "the same reminder twice", f"jsonb_build_array({OUTCOME}::jsonb, {OUTCOME}::jsonb)", "SK067"),
    outcomes("not-json", "text that is not JSON", "'[{'", "22P02"),
    outcomes("null-now", "p_now NULL", "'[]', NULL", "SK009"),
    take("blank-number", "sending number blank", "'', 1", "SK009"),
    take("huge-number", "sending number of 1 MB", f"{HUGE}, 1", "SK034"),
    take("negative", "wanted -1", f"{BUCKET}, -1", "SK009"),
    take("null-wanted", "wanted NULL", f"{BUCKET}, NULL", "SK009"),
    take("null-now", "p_now NULL", f"{BUCKET}, 1, NULL", "SK009"),
    give_back("unknown-number", "a number that never took tokens", "'cloud_api:never', 1", "SK021"),
    give_back("negative", "unused -1", f"{BUCKET}, -1", "SK009"),
    give_back("sql-number", "SQL as the number", f"{INJECT}, 1", "SK021"),
    wait_tokens("blank-number", "sending number blank", "' ', 1", "SK009"),
    wait_tokens("negative", "wanted -1", f"{BUCKET}, -1", "SK009"),
    wait_tokens("null-now", "p_now NULL", f"{BUCKET}, 1, NULL", "SK009"),
    wait_next("null-now", "p_now NULL", "NULL", "SK009"),
    wait_next("not-a-time", "p_now not a time", "'soon'", "22007"),
    heartbeat("blank-id", "worker id blank", "'', 'console'", "SK009"),
    heartbeat("huge-id", "worker id of 1 MB", f"{HUGE}, 'console'", "SK034"),
    heartbeat("huge-sender", "sender of 1 MB", f"'w', {HUGE}", "SK034"),
    heartbeat("counts-array", "counts not an object", "'w', 'console', '[1, 2]'", "SK009"),
    heartbeat("counts-negative", "a negative counter", "'w', 'console', '{\"sent\": -1}'", "SK009"),
    heartbeat("counts-sql", "SQL as a counter", f"'w', 'console', jsonb_build_object('sent', {INJECT})", "SK009"),
    heartbeat("null-now", "p_now NULL", "'w', 'console', '{}', false, NULL", "SK009"),
    halt("blank-number", "sending number blank", "' ', '190', 'x', 'w'", "SK009"),
    halt("huge-number", "sending number of 1 MB", f"{HUGE}, '190', 'x', 'w'", "SK034"),
    halt("blank-code", "error code blank", f"{BUCKET}, '', 'x', 'w'", "SK009"),
    halt("huge-code", "error code of 1 MB", f"{BUCKET}, {HUGE}, 'x', 'w'", "SK034"),
    halt("huge-message", "error message of 1 MB", f"{BUCKET}, '190', {HUGE}, 'w'", "SK034"),
    halt("null-worker", "worker id NULL", f"{BUCKET}, '190', 'x', NULL", "SK009"),
    halt("null-now", "p_now NULL", f"{BUCKET}, '190', 'x', 'w', NULL", "SK009"),
    read_halt("blank-number", "sending number blank", "''", "SK009"),
    read_halt("null-number", "sending number NULL", "NULL", "SK009"),
    read_halt("huge-number", "sending number of 1 MB", HUGE, "SK034"),
    health("zero-age", "heartbeat age 0", "'0 seconds'", "SK017"),
    health("negative-age", "due age negative", "'2 minutes', '-5 minutes'", "SK017"),
    health("null-now", "p_now NULL", "'2 minutes', '5 minutes', NULL", "SK009", CRON),
    health_report("zero-tick-age", "tick age 0", "NULL, '0 seconds'", "SK017"),
    health_report("null-grace", "overdue grace NULL", "NULL, '5 minutes', NULL", "SK017"),
    health_report(
        "negative-lease", "lease overdue negative", "p_cron => NULL, p_max_lease_overdue => '-1 hour'", "SK017"
    ),
    health_report("cron-array", "p_cron not an object", "'[]'", "SK069"),
    health_report("jobs-not-array", "p_cron jobs not an array", "'{\"jobs\": 1}'", "SK069"),
    health_report("job-no-name", "a job without a name", '\'{"jobs": [{"active": true}]}\'', "SK069"),
    health_report("heartbeat-zero", "heartbeat age 0", "p_cron => NULL, p_max_heartbeat_age => '0 s'", "SK017"),
    health_report("null-now", "p_now NULL", "p_cron => NULL, p_now => NULL", "SK009", CRON),
    metrics_snapshot("null-now", "p_now NULL", "NULL", "SK009", WORKER),
    metrics_snapshot("garbage-now", "p_now not a time", "'garbage'", "22007", WORKER),
    activity("null-from", "p_from NULL", "NULL, '2030-06-03 00:00+00'", "SK071"),
    activity("backwards", "p_to before p_from", "'2030-06-03 00:00+00', '2030-06-01 00:00+00'", "SK071"),
    activity("infinite", "p_to infinity", "'2030-06-01 00:00+00', 'infinity'", "SK071"),
    activity("too-long", "a year at once", "'2030-01-01 00:00+00', '2031-01-01 00:00+00'", "SK072"),
    activity("garbage", "p_from not a time", "'garbage', '2030-06-03 00:00+00'", "22007"),
    # ---- the HTTP API ---------------------------------------------------------------------------------------
    token_actor("text", "the token itself as text, not its hash", "'skt_x'::text", "42883"),
    token_actor("integer", "a number, not bytes", "42", "42883"),
    begin_request("null-key", "key NULL", "NULL, sha256('x'::bytea), 'app1'", "SK077"),
    begin_request("blank-key", "key blank", "' ', sha256('x'::bytea), 'app1'", "SK077"),
    begin_request("huge-key", "key of 1 MB", f"{HUGE}, sha256('x'::bytea), 'app1'", "SK077"),
    begin_request("newline-key", "key with a newline", "E'k\\n1', sha256('x'::bytea), 'app1'", "SK077"),
    begin_request("short-hash", "request hash of 1 byte", "'k', '\\x00'::bytea, 'app1'", "SK077"),
    begin_request("null-actor", "actor NULL", "'k', sha256('x'::bytea), NULL", "SK077"),
    begin_request("huge-actor", "actor of 1 MB", f"'k', sha256('x'::bytea), {HUGE}", "SK034"),
    begin_request("null-now", "p_now NULL", "'k', sha256('x'::bytea), 'app1', NULL", "SK009"),
    finish_request("never-begun", "no request reserved under the key", "'never', 'app1', 200, '{}'", "SK077"),
    finish_request("null-key", "key NULL", "NULL, 'app1', 200, '{}'", "SK077"),
    finish_request("status-42", "status not an HTTP status", "'k', 'app1', 42, '{}'", "SK077"),
    booking_details("unknown", "booking unknown", UNKNOWN, "SK010"),
    booking_details("null", "booking id NULL", "NULL", "SK010"),
    booking_details("not-uuid", "booking id not a uuid", INJECT, "22P02"),
    sessions_between("null-from", "p_from NULL", "NULL, '2030-06-03 00:00+00'", "SK078"),
    sessions_between("backwards", "p_to before p_from", "'2030-06-03 00:00+00', '2030-06-01 00:00+00'", "SK078"),
    sessions_between("infinite", "p_to infinity", "'2030-06-01 00:00+00', 'infinity'", "SK078"),
    sessions_between("too-long", "a year at once", "'2030-01-01 00:00+00', '2031-01-01 00:00+00'", "SK078"),
    workshop_availability("unknown", "workshop unknown", UNKNOWN, "SK028"),
    workshop_availability("null", "workshop id NULL", "NULL", "SK028"),
    workshop_availability("null-now", "p_now NULL", "'<workshop>', NULL", "SK009"),
    # ---- scheduled jobs -------------------------------------------------------------------------------------
    tick("null", "p_now NULL", "NULL", "SK009"),
    tick("garbage", "p_now not a time", "'garbage'", "22007"),
    tick("feb-30", "impossible date", "'2030-02-30 10:00+00'", "22008"),
    tick("infinity", "p_now infinity (would complete every session)", "'infinity'", "SK009"),
    tick(
        "future", "p_now a year ahead, simulated time off", "now() + interval '1 year'", "SK038", simulated_time=False
    ),
    tick(
        "six-minutes",
        "p_now 6 minutes ahead, simulated time off",
        "now() + interval '6 minutes'",
        "SK038",
        simulated_time=False,
    ),
    activate("null", "p_now NULL", "NULL", "SK009"),
    activate("garbage", "p_now not a time", "'yesterday-ish'", "22007"),
    close("null", "p_now NULL", "NULL", "SK009"),
    close("infinity", "p_now infinity", "'infinity'", "SK009"),
    generate_all("null-now", "p_now NULL", "30, NULL", "SK009"),
    generate_all("days-negative", "days ahead -1 (logged a failure per template)", "-1", "SK009"),
    archive("age-zero", "age 0 (would archive everything closed)", "'0 days'", "SK017"),
    archive("batch-zero", "batch 0", "'90 days', 0", "SK009"),
    archive("null-now", "p_now NULL", "'90 days', 100, NULL", "SK009"),
    archive("age-text", "age not an interval", "'ninety days'", "22007"),
    purge("age-zero", "age 0 (would delete every provider event)", "'0 days'", "SK046"),
    purge("age-negative", "age -1 day", "'-1 day'", "SK046"),
    purge("batch-zero", "batch 0", "NULL, 0", "SK047"),
    purge("batch-huge", "batch 100,001 (one long delete)", "NULL, 100001", "SK047"),
    purge("batch-null", "batch NULL", "NULL, NULL", "SK047"),
    purge("null-now", "p_now NULL", "NULL, 100, NULL", "SK009"),
    purge("age-text", "age not an interval", "'a week'", "22007"),
    preview("null", "p_at NULL", "NULL", "SK009"),
    preview("infinity", "p_at infinity", "'infinity'", "SK009"),
    preview("year-10000", "p_at in year 10000", "'10000-01-01 00:00+00'", "SK009"),
    preview("garbage", "p_at not a time", "'soon'", "22007"),
    preview("feb-30", "impossible date", "'2030-02-30 10:00+00'", "22008"),
    # ---- message texts (owner only) --------------------------------------------------------------------------
    text_("placeholders-differ", "a {placeholder} not listed", "'t', 'en', 'Hi {x}', '{y}', 't'", "SK056"),
    text_("listed-twice", "a parameter name listed twice", "'t', 'en', 'Hi {x}', '{x,x}', 't'", "SK056"),
    text_("language-unknown", "language 'xx'", "'t', 'xx', 'Hi', '{}', 't'", "SK050"),
    text_("language-sql", "SQL as the language", f"'t', {INJECT}, 'Hi', '{{}}', 't'", "SK050"),
    text_("name-201", "name of 201 characters (limit 200)", "repeat('n', 201), 'en', 'Hi', '{}', 't'", "SK034"),
    text_("body-huge", "body of 1 MB", f"'t', 'en', {HUGE}, '{{}}', 't'", "SK034"),
    text_("body-blank", "body blank", "'t', 'en', '  ', '{}', 't'", "SK009"),
    text_("name-null", "name NULL", "NULL, 'en', 'Hi', '{}', 't'", "SK009"),
    text_("as-app", "called by the app role (granted to no role)", "'t', 'en', 'Hi', '{}', 't'", "42501", APP),
    # ---- the webhook -----------------------------------------------------------------------------------------
    status("provider-unknown", "provider 'sms'", "'sms', 'wamid.1', 'delivered'", "SK035"),
    status("provider-null", "provider NULL", "NULL, 'wamid.1', 'delivered'", "SK035"),
    status("id-null", "message id NULL", "'whatsapp', NULL, 'delivered'", "SK036"),
    status("id-blank", "message id blank", "'whatsapp', '  ', 'delivered'", "SK036"),
    status("id-huge", "message id of 1 MB", f"'whatsapp', {HUGE}, 'delivered'", "SK036"),
    status("status-unknown", "status word 'exploded'", "'whatsapp', 'wamid.1', 'exploded'", "SK037"),
    status("status-null", "status NULL", "'whatsapp', 'wamid.1', NULL", "SK037"),
    status("status-sql", "SQL as the status", f"'whatsapp', 'wamid.1', {INJECT}", "SK037"),
    status("status-twilio-word", "Twilio's undelivered from WhatsApp", "'whatsapp', 'wamid.1', 'undelivered'", "SK037"),
    status("at-garbage", "report time not a time", "'whatsapp', 'wamid.1', 'read', 'soonish'", "22007"),
    status("null-now", "p_now NULL", "'whatsapp', 'wamid.1', 'read', NULL, NULL, NULL, NULL", "SK009"),
    status(
        "retryable-garbage",
        "retry verdict not a boolean",
        "'whatsapp', 'wamid.1', 'failed', p_retryable => 'perhaps'",
        "22P02",
    ),
    inbound("provider-unknown", "provider 'sms'", "'sms', 'wamid.in', '4915100000001', 'CANCEL'", "SK035"),
    inbound("id-null", "message id NULL", "'whatsapp', NULL, '4915100000001', 'CANCEL'", "SK036"),
    inbound("id-huge", "message id of 1 MB", f"'whatsapp', {HUGE}, '4915100000001', 'CANCEL'", "SK036"),
    inbound("from-word", "sender not a phone", "'whatsapp', 'wamid.in', 'hello', 'CANCEL'", "SK006"),
    inbound("from-null", "sender NULL", "'whatsapp', 'wamid.in', NULL, 'CANCEL'", "SK006"),
    inbound("from-short", "sender +12 (too short)", "'whatsapp', 'wamid.in', '+12', 'CANCEL'", "SK006"),
    inbound("from-sql", "SQL as the sender", f"'whatsapp', 'wamid.in', {INJECT}, 'CANCEL'", "SK006"),
    inbound("from-huge", "sender of 1 MB", f"'whatsapp', 'wamid.in', {HUGE}, 'CANCEL'", "SK006"),
    inbound(
        "at-garbage", "received time not a time", "'whatsapp', 'wamid.in', '4915100000001', 'x', NULL, 'x'", "22007"
    ),
    inbound("null-now", "p_now NULL", "'whatsapp', 'wamid.in', '4915100000001', 'x', NULL, NULL, NULL", "SK009"),
    # ---- erasure --------------------------------------------------------------------------------------------
    erase("unknown", "person unknown", f"{UNKNOWN}, 'asked'", "SK007"),
    erase("null", "person NULL", "NULL, 'asked'", "SK007"),
    erase("id-sql", "SQL as the person id", f"{INJECT}, 'asked'", "22P02"),
    erase("blank-reason", "reason blank", "'<other>', '   '", "SK009"),
    erase("null-reason", "reason NULL", "'<other>', NULL", "SK009"),
    erase("huge-reason", "reason of 1 MB", f"'<other>', {HUGE}", "SK034"),
    erase("huge-actor", "actor of 1 MB", f"'<other>', 'asked', {HUGE}", "SK034"),
    erase("host", "host of sessions and templates ahead", "'<host>', 'left'", "SK055"),
    erase("null-now", "p_now NULL", "'<other>', 'asked', 'x', NULL", "SK009"),
]

SQL_CASES: list[SqlCase] = _HAND_WRITTEN + _role_cases()

# Why the rows with ``today`` are still open (they write nothing, but fail with a code that leaks from a table).
OPEN: dict[str, str] = {}

CREATED_SESSION = "sessions session_status_history"  # what creating a session writes
RUNS = "workshop_runs"
WORKSHOPS = "workshops"
CANCELLED = "sessions session_status_history reminders reminder_state_history"  # what cancelling a session writes
BOOKED = "bookings booking_status_history sessions reminders reminder_state_history"  # what a booking writes

ACCEPTED: list[AcceptedCase] = [
    accepted("create_person", "sql-in-name", "{}", "people.full_name", "people"),
    accepted("create_person", "quotes-emoji", "{}", "people.full_name", "people", "Zoë O'Brien \\ <b>👋</b>"),
    accepted("create_person", "name-200", "{}", "people.full_name", "people", "n" * 200, value="repeat('n', 200)"),
    accepted(
        "update_person",
        "sql-in-name",
        "'<other>', {}",
        "people.full_name",
        "people person_changes",
        pick="->>'person_id'",
    ),
    accepted("create_session", "sql-in-title", f"'<host>', {{}}, {SLOT}", "sessions.title", CREATED_SESSION),
    accepted("create_workshop", "sql-in-text", "'<host>', 'P', 0, NULL, NULL, {}", "workshops.description", WORKSHOPS),
    accepted("create_workshop_run", "sql-in-name", "'<workshop>', {}, '2030-07-06'", "workshop_runs.run_name", RUNS),
    accepted("create_booking", "sql-in-order", "'<session>', '<other>', {}", "bookings.order_reference", BOOKED),
    accepted("cancel_session", "sql-in-reason", "'<session>', {}", "sessions.cancel_reason", CANCELLED, pick=".id"),
]

ZERO_ID = "00000000-0000-4000-8000-000000000000"
# What a command says on stderr; "…" stands for a part that varies (a URL, a port, a folder).
REFUSED = "error: cannot connect to postgresql://sessionkeeper@127.0.0.1:1/sessionkeeper: connection failed: … refused"
EMPTY_TOKEN = "error: the operator token in /dev/null is shorter than 16 characters …"
NOT_OURS = "error: SESSIONKEEPER_DATABASE_URL (or DATABASE_URL) is set: that server is not managed by sessionkeeper"
DENIED = "error: permission denied for … [SQLSTATE 42501]"
NO_TEMPLATE = f"error: cannot generate sessions of recurring template {ZERO_ID}: not found [SQLSTATE SK022]"
NOW_LOOP = "error: --now and --loop do not go together: a loop ticks at the real time"
FUTURE = (
    "error: tick: p_now … is more than 5 minutes ahead of the database's time … and simulated time is off "
    "[SQLSTATE SK038]; --simulated-time writes as if it were that time"
)
DRY_LOOP = "error: --dry-run and --loop do not go together: a dry run looks once"
BAD_PASSWORD = "error: cannot connect to …: FATAL:  password authentication failed for user …"
NO_DB = "error: cannot connect to …: FATAL:  database … does not exist"
NOT_A_URL = 'error: bad database URL not a url: missing "=" after "not" in connection info string'
UNHEALTHY = "unhealthy: database unreachable: cannot connect to postgresql://sessionkeeper@127.0.0.1:1/sessionkeeper: …"
EDITED = "error: migrations/0001_scheduling_schema.sql: changed after it was applied; migrations are never edited …"
BROKEN = 'error: sql/functions/create_person.sql line 10: syntax error at or near "uuid" [SQLSTATE 42601]'
NOT_RUNNING = "error: the embedded database in … is not running (start it: sessionkeeper db up)"
NO_CLUSTER = "error: no embedded database in … yet (create it: sessionkeeper db up)"
NOT_A_TEMPLATE = "error: '12' is not a template id (a UUID)"
SQL_TEMPLATE = "error: '1;DROP TABLE x' is not a template id (a UUID)"
NOT_A_BOOKING = "error: 'not-a-uuid' is not a booking id (a UUID)"
EDITED_STATUS = "error: 1 applied migration(s) were edited; see above"
NO_CRON = "error: no pg_cron jobs to show: pg_cron's database nodb does not exist on this server"
NOT_HALTED = "error: sending number cloud_api:hostile is not halted: nothing to resume"
BAD_TOKEN_NAME = "error: create_api_token: a token name is 1 to 63 letters, … [SQLSTATE SK073]"
NO_TOKEN = "error: revoke_api_token: no active token named 'nobody' [SQLSTATE SK075]"

CLI_CASES: list[CliCase] = [
    cli("tick", "now-garbage", "--now not a time", "tick --now garbage", 2, "'--now'"),
    cli("tick", "now-feb-30", "impossible date", "tick --now 2026-02-30T10:00:00", 2, "'--now'"),
    cli("tick", "now-year-10000", "year 10000", "tick --now 10000-01-01T00:00:00", 2, "'--now'"),
    cli("tick", "interval-zero", "--interval 0", "tick --loop --interval 0", 2, "'--interval'"),
    cli("tick", "now-and-loop", "--now with --loop", "tick --loop --now 2030-01-01T00:00:00", 1, NOW_LOOP),
    cli(
        "tick",
        "now-future",
        "--now in 2099 without --simulated-time",
        "tick --now 2099-01-01T00:00:00",
        1,
        FUTURE,
        simulated_time=False,
    ),
    cli("tick", "as-app", "a login holding only sessionkeeper_app", "$APP_URL tick", 1, DENIED),
    cli("tick", "dry-run-and-loop", "--dry-run with --loop", "tick --loop --dry-run", 1, DRY_LOOP),
    cli("tick", "dry-run-bad-offset", "offset +99", "tick --dry-run --now '2030-01-01 10:00 +99'", 2, "'--now'"),
    cli("preview", "at-missing", "no --at", "preview", 2, "'--at'"),
    cli("preview", "at-garbage", "--at not a time", "preview --at soon", 2, "'--at'"),
    cli("preview", "at-feb-30", "impossible date", "preview --at '2030-02-30 10:00'", 2, "'--at'"),
    cli("preview", "at-year-10000", "year 10000", "preview --at 10000-01-01", 2, "'--at'"),
    cli("preview", "as-worker", "a login with only the worker role", "$WORKER_URL preview --at 2030-06-03", 1, DENIED),
    cli("preview", "as-nobody", "a login with no grants", "$NOBODY_URL preview --at 2030-06-03", 1, DENIED),
    cli("generate", "days-negative", "--days -1", "generate --days -1", 2, "'--days'"),
    cli("generate", "days-zero", "--days 0", "generate --days 0", 2, "'--days'"),
    cli("generate", "days-text", "--days abc", "generate --days abc", 2, "'--days'"),
    cli("generate", "template-not-uuid", "template id not a uuid", "generate --template 12", 1, NOT_A_TEMPLATE),
    cli("generate", "template-unknown", "template unknown", f"generate --template {ZERO_ID}", 1, NO_TEMPLATE),
    cli("generate", "template-sql", "SQL as the id", "generate --template '1;DROP TABLE x'", 1, SQL_TEMPLATE),
    cli("reminders", "not-uuid", "booking id not a uuid", "reminders not-a-uuid", 1, NOT_A_BOOKING),
    cli("reminders", "unknown", "booking unknown", f"reminders {ZERO_ID}", 1, f"error: no booking {ZERO_ID}"),
    cli("reminders", "missing", "no booking id", "reminders", 2, "'BOOKING_ID'"),
    cli("reminders", "as-worker", "a login with only the worker role", "$WORKER_URL reminders <booking>", 1, DENIED),
    cli("retry-failed", "since-garbage", "--since not a time", "retry-failed --since garbage", 2, "'--since'"),
    cli("retry-failed", "since-feb-30", "impossible date", "retry-failed --since 2026-02-30", 2, "'--since'"),
    cli("retry-failed", "as-app", "a login holding only sessionkeeper_app", "$APP_URL retry-failed", 1, DENIED),
    cli(
        "resume-sending", "not-halted", "a number that is not halted", "resume-sending cloud_api:hostile", 1, NOT_HALTED
    ),
    cli(
        "resume-sending",
        "probe-not-halted",
        "--probe, not halted",
        "resume-sending cloud_api:hostile --probe",
        1,
        NOT_HALTED,
    ),
    cli("resume-sending", "missing", "no number", "resume-sending", 2, "'NUMBER'"),
    cli("api-token create", "bad-name", "a name with a space", "api-token create 'my app'", 1, BAD_TOKEN_NAME),
    cli("api-token create", "missing", "no name", "api-token create", 2, "'NAME'"),
    cli(
        "api-token create", "as-app", "a login holding only sessionkeeper_app", "$APP_URL api-token create x", 1, DENIED
    ),
    cli("api-token revoke", "unknown", "a name without an active token", "api-token revoke nobody", 1, NO_TOKEN),
    cli("api-token revoke", "missing", "no name", "api-token revoke", 2, "'NAME'"),
    cli("api-token list", "as-app", "a login holding only sessionkeeper_app", "$APP_URL api-token list", 1, DENIED),
    cli("resume-sending", "as-app", "a login holding only sessionkeeper_app", "$APP_URL resume-sending x", 1, DENIED),
    cli("worker", "concurrency", "an option that does not exist", "worker --concurrency 0", 2, "--concurrency"),
    cli("worker", "lanes-zero", "--lanes 0", "worker --lanes 0", 2, "'--lanes'"),
    cli("worker", "lease-one", "--lease 1 (below 5 s)", "worker --lease 1", 2, "'--lease'"),
    cli("worker", "metrics-port", "--metrics-port 70000", "worker --metrics-port 70000", 2, "'--metrics-port'"),
    cli("worker", "metrics-host", "--metrics-host 999.1.1.1", "worker --metrics-host 999.1.1.1", 2, "'--metrics-host'"),
    cli("worker", "batch-zero", "--batch-size 0", "worker --batch-size 0", 2, "'--batch-size'"),
    cli("run", "interval-zero", "--interval 0", "run --interval 0", 2, "'--interval'"),
    cli("run", "unreachable", "nothing listens at the URL", "$UNREACHABLE run", 1, REFUSED),
    cli("stats", "watch-zero", "--watch 0", "stats --watch 0", 2, "'--watch'"),
    cli("stats", "wrong-password", "a wrong password", "$WRONG_PASSWORD stats", 1, BAD_PASSWORD),
    cli("stats", "no-such-db", "a database that does not exist", "$NO_SUCH_DB stats", 1, NO_DB),
    cli("stats", "not-a-url", "a URL that is not one", "$NOT_A_URL stats", 1, NOT_A_URL),
    cli("stats", "as-nobody", "a login with no grants", "$NOBODY_URL stats", 1, DENIED),
    cli("healthcheck", "unreachable", "nothing listens at the URL", "$UNREACHABLE healthcheck", 2, UNHEALTHY),
    cli("healthcheck", "due-age-zero", "--max-due-age 0", "healthcheck --max-due-age 0", 2, "'--max-due-age'"),
    cli("healthcheck", "unreachable-json", "--json, nothing listens", "$UNREACHABLE healthcheck --json", 2, UNHEALTHY),
    cli("healthcheck", "tick-age-zero", "--max-tick-age 0", "healthcheck --max-tick-age 0", 2, "'--max-tick-age'"),
    cli("healthcheck", "grace-text", "--overdue-grace abc", "healthcheck --overdue-grace abc", 2, "'--overdue-grace'"),
    cli(
        "healthcheck",
        "lease-negative",
        "--max-lease-overdue -5",
        "healthcheck --max-lease-overdue -5",
        2,
        "'--max-lease-overdue'",
    ),
    cli("healthcheck", "at-garbage", "--at not a time", "healthcheck --at soon", 2, "'--at'"),
    cli("healthcheck", "at-feb-30", "impossible date", "healthcheck --at 2030-02-30", 2, "'--at'"),
    cli("watch", "misspelt-option", "--jsn instead of --json", "watch --jsn", 2, "--jsn"),
    cli(
        "cron list",
        "json-no-cron-db",
        "--json, no such cron database",
        "--cron-database nodb cron list --json",
        1,
        NO_CRON,
    ),
    cli(
        "retry-failed",
        "json-since-garbage",
        "--json, --since garbage",
        "retry-failed --json --since garbage",
        2,
        "'--since'",
    ),
    cli("generate", "json-days-zero", "--json, --days 0", "generate --json --days 0", 2, "'--days'"),
    cli(
        "resume-sending",
        "json-not-halted",
        "--json, not halted",
        "resume-sending cloud_api:hostile --json",
        1,
        NOT_HALTED,
    ),
    cli(
        "db status",
        "json-no-cluster",
        "--json, no embedded database",
        "--pgdata $EMPTY_DIR db status --json",
        3,
        NOT_RUNNING,
    ),
    cli(
        "db url", "json-no-cluster", "--json, no embedded database", "--pgdata $EMPTY_DIR db url --json", 1, NO_CLUSTER
    ),
    cli("db up", "json-url-set", "--json, a database URL is set", "db up --json", 1, NOT_OURS),
    cli(
        "migrate status",
        "json-edited",
        "--json, a migration edited",
        "migrate status --json",
        1,
        EDITED_STATUS,
        "edited_migration",
    ),
    cli("demo", "unreachable", "nothing listens at the URL", "$UNREACHABLE demo", 1, REFUSED),
    cli("cron list", "no-cron-db", "--cron-database names no database", "--cron-database nodb cron list", 1, NO_CRON),
    cli("doctor", "misspelt-option", "--jsn instead of --json", "doctor --jsn", 2, "--jsn"),
    cli("migrate", "edited", "a migration edited after it landed", "migrate", 1, EDITED, "edited_migration"),
    cli("migrate", "broken-sql", "a SQL file with a syntax error", "migrate", 1, BROKEN, "broken_sql"),
    cli("migrate", "dry-run-broken", "--dry-run, a broken file", "migrate --dry-run", 1, BROKEN, "broken_sql"),
    cli("migrate status", "edited", "a migration edited", "migrate status", 1, EDITED_STATUS, "edited_migration"),
    cli("db up", "url-set", "a database URL is set (not ours to manage)", "db up", 1, NOT_OURS),
    cli("db down", "url-set", "a database URL is set", "db down", 1, NOT_OURS),
    cli("db status", "no-cluster", "no embedded database there", "--pgdata $EMPTY_DIR db status", 3, NOT_RUNNING),
    cli("db url", "no-cluster", "no embedded database there", "--pgdata $EMPTY_DIR db url", 1, NO_CLUSTER),
    cli("db status", "port", "--port 70000", "--pgdata $EMPTY_DIR --port 70000 db status", 2, "'--port'"),
    cli("webhook", "unknown-option", "an option that does not exist", "webhook --no-such-option", 2, "No such option"),
    cli(
        "webhook",
        "no-secrets",
        "neither app secret nor Twilio token: nothing verifiable",
        "webhook",
        1,
        "error: nothing to serve: …",
    ),
    cli("webhook", "port-out-of-range", "port 70000", "webhook --port 70000", 2, "--port"),
    cli("webhook", "port-text", "port not a number", "webhook --port http", 2, "--port"),
    cli("serve", "unknown-option", "an option that does not exist", "serve --no-such-option", 2, "No such option"),
    cli("serve", "port-out-of-range", "port 70000", "serve --port 70000", 2, "--port"),
    cli("serve", "empty-token", "an empty token file", "serve --operator-token-file /dev/null", 1, EMPTY_TOKEN),
    cli(
        "serve",
        "token-file-missing",
        "an operator token file that does not exist",
        "serve --operator-token-file /nonexistent/token",
        2,
        "--operator-token-file",
    ),
    cli("ha up", "dir-is-a-file", "--dir names a file", "ha up --dir /etc/hostname", 2, "--dir"),
    cli(
        "ha up",
        "dir-not-empty",
        "--dir names a folder that holds other things",
        "ha up --dir /etc",
        1,
        "error: /etc is not empty: give ha up an empty or new folder (--dir)",
    ),
    cli(
        "ha down",
        "not-a-formation",
        "--dir names a folder ha up did not make: it must not be deleted",
        "ha down --dir /etc",
        1,
        "error: /etc does not hold a formation made by sessionkeeper ha up; left alone",
    ),
    cli("sessionkeeper", "log-format", "--log-format xml", "--log-format xml stats", 2, "'--log-format'"),
    cli("sessionkeeper", "unknown-command", "a command that does not exist", "frobnicate", 2, "No such command"),
]
