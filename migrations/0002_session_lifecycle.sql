-- The session lifecycle.
--
-- Tables: people, sessions, session_status_history, time_zones, tick_state (one row).
-- Status flow:
--   automatic:    scheduled -> in_progress at starts_at -> completed at ends_at
--   host_started: scheduled -> in_progress by start_session (auto-completes at ends_at), or
--                 scheduled -> in_progress with is_delayed = true once starts_at passes (waits for
--                 complete_session)
--   manual:       cancel (scheduled, in_progress), no-show (scheduled, in_progress, after starts_at),
--                 reschedule (scheduled, cancelled, no_show -> scheduled), soft delete (any status)
--
-- Errors raised by sessionkeeper (SQLSTATE class "SK"):
--   SK001  session not found
--   SK002  session is deleted (soft-deleted sessions accept no action and no update)
--   SK003  action (or direct status change) not allowed from the session's current status
--   SK004  end not after start (ends_at <= starts_at)
--   SK005  unknown time zone (must be an IANA name present in scheduling.time_zones)
--   SK006  phone number not in E.164 form (+ then 7 to 15 digits, no leading zero)
--   SK007  person not found or deleted (e.g. unknown host)
--   SK008  action not allowed at this time (start after the slot ended, no-show before the start,
--          reschedule into a slot that has already ended)
--   SK009  invalid value (blank name or title, negative capacity, metadata not a JSON object,
--          unknown start mode)
-- Validation lives in BEFORE INSERT/UPDATE triggers (sql/triggers/), so direct writes and functions
-- raise the same SQLSTATE; the named CHECK constraints below are a backstop.
--
-- Concurrency: scheduling.tick() serialises itself with pg_advisory_xact_lock(91583001740107)
-- (0x534B5449434B, "SKTICK" in ASCII) and skips rows locked by other transactions.

CREATE TYPE scheduling.session_status AS ENUM (
    'scheduled', 'in_progress', 'completed', 'cancelled', 'no_show'
);

COMMENT ON TYPE scheduling.session_status IS
'Lifecycle status of a session; "delayed" is not a status but the flag sessions.is_delayed.';

CREATE TYPE scheduling.session_start_mode AS ENUM ('automatic', 'host_started');

COMMENT ON TYPE scheduling.session_start_mode IS
'automatic: starts at starts_at. host_started: the host starts it; if nobody does, it goes in_progress '
'with is_delayed = true at starts_at and waits for a manual completion.';

CREATE TYPE scheduling.status_change_reason AS ENUM ('automatic', 'manual', 'skipped', 'failed');

COMMENT ON TYPE scheduling.status_change_reason IS
'Why a session_status_history row exists: automatic (tick), manual (a person acted), skipped (a due '
'time-driven step no longer applied), failed (a due step raised an error; detail holds it).';

-- The column is called name, as in pg_timezone_names.
CREATE TABLE scheduling.time_zones (
    name text PRIMARY KEY -- noqa: RF04
);

COMMENT ON TABLE scheduling.time_zones IS
'IANA time zone names known to this server (copied from pg_timezone_names, without posix/ duplicates). '
'Validation looks names up here; re-sync with scheduling.refresh_time_zones() after a tzdata upgrade.';

INSERT INTO scheduling.time_zones (name)
SELECT tz.name
FROM pg_catalog.pg_timezone_names AS tz
WHERE
    tz.name NOT LIKE 'posix/%'
    AND tz.name NOT IN ('localtime', 'posixrules', 'Factory')
ON CONFLICT (name) DO NOTHING;

CREATE TABLE scheduling.people (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    full_name text NOT NULL,
    phone text,
    time_zone text NOT NULL DEFAULT 'UTC',
    whatsapp_consent boolean NOT NULL DEFAULT FALSE,
    deleted_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT people_full_name_not_blank CHECK (btrim(full_name) <> ''),
    CONSTRAINT people_phone_e164 CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    CONSTRAINT people_time_zone_fkey FOREIGN KEY (time_zone) REFERENCES scheduling.time_zones (name)
);

COMMENT ON TABLE scheduling.people IS
'Hosts (mentors, barbers) and attendees (students, customers). Soft-deleted via deleted_at. '
'Write through scheduling.create_person(); validated by trigger people_validate (SK005, SK006, SK009).';

CREATE TABLE scheduling.sessions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    host_id uuid NOT NULL,
    title text NOT NULL,
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    time_zone text NOT NULL,
    status scheduling.session_status NOT NULL DEFAULT 'scheduled',
    is_delayed boolean NOT NULL DEFAULT FALSE,
    start_mode scheduling.session_start_mode NOT NULL DEFAULT 'automatic',
    started_at timestamptz,
    completed_at timestamptz,
    cancelled_at timestamptz,
    cancel_reason text,
    capacity integer NOT NULL DEFAULT 1,
    metadata jsonb NOT NULL DEFAULT '{}',
    slot_version integer NOT NULL DEFAULT 1,
    deleted_at timestamptz,
    deleted_reason text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sessions_host_id_fkey FOREIGN KEY (host_id) REFERENCES scheduling.people (id),
    CONSTRAINT sessions_time_zone_fkey FOREIGN KEY (time_zone) REFERENCES scheduling.time_zones (name),
    CONSTRAINT sessions_title_not_blank CHECK (btrim(title) <> ''),
    CONSTRAINT sessions_ends_after_starts CHECK (ends_at > starts_at),
    CONSTRAINT sessions_capacity_not_negative CHECK (capacity >= 0),
    CONSTRAINT sessions_metadata_is_object CHECK (jsonb_typeof(metadata) = 'object'),
    CONSTRAINT sessions_slot_version_positive CHECK (slot_version >= 1),
    CONSTRAINT sessions_scheduled_not_delayed CHECK (NOT (status = 'scheduled' AND is_delayed)),
    CONSTRAINT sessions_started_has_started_at CHECK (
        status NOT IN ('in_progress', 'completed') OR started_at IS NOT NULL
    ),
    CONSTRAINT sessions_completed_has_completed_at CHECK (status <> 'completed' OR completed_at IS NOT NULL),
    CONSTRAINT sessions_cancelled_has_cancelled_at CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL))
);

COMMENT ON TABLE scheduling.sessions IS
'One row per occurrence in time of a session, with its host, lifecycle status and capacity (0 = unlimited). '
'slot_version is incremented on every reschedule. started_at/completed_at hold the logical time of the '
'transition (starts_at/ends_at for tick steps, p_now for manual actions). Soft-deleted via deleted_at. '
'Write through the scheduling functions; validated by trigger sessions_validate.';

CREATE INDEX sessions_due_start_idx ON scheduling.sessions (starts_at)
WHERE status = 'scheduled' AND deleted_at IS NULL;

CREATE INDEX sessions_due_complete_idx ON scheduling.sessions (ends_at)
WHERE status = 'in_progress' AND NOT is_delayed AND deleted_at IS NULL;

CREATE INDEX sessions_starts_at_idx ON scheduling.sessions (starts_at);

CREATE INDEX sessions_ends_at_idx ON scheduling.sessions (ends_at);

CREATE INDEX sessions_host_id_idx ON scheduling.sessions (host_id);

CREATE TABLE scheduling.session_status_history (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id uuid NOT NULL,
    from_status scheduling.session_status,
    to_status scheduling.session_status NOT NULL,
    is_delayed boolean NOT NULL DEFAULT FALSE,
    reason scheduling.status_change_reason NOT NULL,
    detail text,
    actor text NOT NULL DEFAULT session_user,
    slot_version integer NOT NULL,
    happened_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT session_status_history_session_id_fkey FOREIGN KEY (session_id)
    REFERENCES scheduling.sessions (id)
);

COMMENT ON TABLE scheduling.session_status_history IS
'Every status change of a session (from_status NULL = creation), plus skipped and failed time-driven steps '
'(from_status = to_status = the unchanged status, detail says which step and why). happened_at is the '
'logical time (p_now) of the change, recorded_at the wall clock when the row was written.';

CREATE INDEX session_status_history_session_id_idx ON scheduling.session_status_history (session_id, id);

CREATE TABLE scheduling.tick_state (
    singleton boolean PRIMARY KEY DEFAULT TRUE,
    last_tick_at timestamptz,
    last_result jsonb,
    last_run_at timestamptz,
    CONSTRAINT tick_state_one_row CHECK (singleton)
);

COMMENT ON TABLE scheduling.tick_state IS
'One row: the watermark of scheduling.tick(). last_tick_at is the greatest p_now a tick has handled '
'(skipped traces are written for due times in (last_tick_at, p_now]); last_result/last_run_at are for '
'monitoring.';

INSERT INTO scheduling.tick_state (singleton) VALUES (TRUE);
