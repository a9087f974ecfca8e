-- Recurring session templates, visibility, generation log and the archive.
--
-- Tables: session_templates (a recurrence rule in a time zone), template_exceptions (dates skipped or moved by
-- hand), recurring_session_logs (every generated, removed or kept occurrence, and failures), archive
-- tables sessions_archive, session_status_history_archive, bookings_archive, booking_status_history_archive,
-- reminders_archive, reminder_state_history_archive (archive_closed_sessions moves closed sessions there).
-- Columns: sessions.template_id + occurrence_date (the local date of the occurrence; UNIQUE per template, so
-- generating twice never duplicates), sessions.visible_from + is_visible (a generated session becomes
-- visible at the start of its date in its own zone; sessions created directly are visible at once).
--
-- Recurrence rules are a subset of RFC 5545 RRULE, stored as text and parsed into the rule_* columns by trigger
-- session_templates_validate: FREQ=DAILY|WEEKLY|MONTHLY, INTERVAL, BYDAY (MO..SU; with ordinals 1..5 or -1..-5
-- for MONTHLY only, e.g. 2TU, -1FR), BYMONTHDAY (1..31, -1..-31), COUNT, UNTIL (a date YYYYMMDD, inclusive
-- local date, or a UTC date-time YYYYMMDDTHHMMSSZ compared with the occurrence's start), WKST=MO only.
-- DTSTART is the template's first_date at local_start in time_zone. Occurrences are computed in wall-clock time:
--   * 09:00 local stays 09:00 local across DST changes;
--   * a local time that does not exist (spring-forward gap) moves forward by the length of the gap
--     (02:30 on 2026-03-29 Europe/Berlin becomes 03:30 CEST): the offset in force before the gap is used;
--   * an ambiguous local time (fall-back) takes the first, earlier instant (02:30 CEST, not 02:30 CET);
--   * a BYMONTHDAY (or first_date's day of month) that the month does not have is skipped (no 31st in April);
--   * like python-dateutil, first_date itself is an occurrence only when it matches the rule; COUNT counts
--     occurrences from first_date.
--
-- Errors added by this migration (continuing 0004's SK020-SK021):
--   SK022  recurring template not found
--   SK023  invalid recurrence rule (unknown or repeated part, bad FREQ, INTERVAL below 1, BYMONTHDAY 0 or beyond
--          +-31, BYDAY ordinal outside MONTHLY or beyond +-5, COUNT below 1, malformed UNTIL)
--   SK024  recurrence rule has both COUNT and UNTIL
--   SK025  template duration zero or negative (or NULL)
--   SK026  template action not allowed in the template's status (e.g. resume or edit an ended template)
--   SK027  exception date is not an occurrence of the template
-- Reused: SK005 unknown time zone, SK007 unknown or deleted host, SK009 invalid value (blank title, negative
-- capacity, negative days ahead or batch, NULL p_now), SK016 unknown reminder policy, SK017 archive age not
-- positive.

CREATE TYPE scheduling.template_status AS ENUM ('active', 'paused', 'ended');

COMMENT ON TYPE scheduling.template_status IS
'Status of a recurring template: active (generates sessions), paused (generates nothing; future unbooked '
'occurrences removed; resume_template makes it active again), ended (final).';

CREATE TYPE scheduling.template_exception_kind AS ENUM ('skipped', 'moved');

COMMENT ON TYPE scheduling.template_exception_kind IS
'An exception to a template''s rule on one date: skipped (no session that day) or moved (the session of that '
'date was moved by hand; it keeps its occurrence_date and is never regenerated nor touched by an edit).';

CREATE TABLE scheduling.session_templates (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    host_id uuid NOT NULL,
    title text NOT NULL,
    capacity integer NOT NULL DEFAULT 1,
    start_mode scheduling.session_start_mode NOT NULL DEFAULT 'automatic',
    reminder_policy_id uuid,
    rrule text NOT NULL,
    rule_freq text NOT NULL,
    rule_interval integer NOT NULL DEFAULT 1,
    rule_by_day text [] NOT NULL DEFAULT '{}',
    rule_by_month_day integer [] NOT NULL DEFAULT '{}',
    rule_count integer,
    rule_until_date date,
    rule_until_at timestamptz,
    first_date date NOT NULL,
    local_start time NOT NULL,
    duration interval NOT NULL,
    time_zone text NOT NULL,
    status scheduling.template_status NOT NULL DEFAULT 'active',
    generated_until date,
    metadata jsonb NOT NULL DEFAULT '{}',
    created_by text NOT NULL DEFAULT session_user,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    paused_at timestamptz,
    ended_at timestamptz,
    CONSTRAINT session_templates_host_id_fkey FOREIGN KEY (host_id) REFERENCES scheduling.people (id),
    CONSTRAINT session_templates_reminder_policy_id_fkey FOREIGN KEY (reminder_policy_id)
    REFERENCES scheduling.reminder_policies (id),
    CONSTRAINT session_templates_time_zone_fkey FOREIGN KEY (time_zone) REFERENCES scheduling.time_zones (name),
    CONSTRAINT session_templates_title_not_blank CHECK (btrim(title) <> ''),
    CONSTRAINT session_templates_capacity_not_negative CHECK (capacity >= 0),
    CONSTRAINT session_templates_duration_positive CHECK (duration > interval '0'),
    CONSTRAINT session_templates_rule_freq CHECK (rule_freq IN ('DAILY', 'WEEKLY', 'MONTHLY')),
    CONSTRAINT session_templates_rule_interval_positive CHECK (rule_interval >= 1),
    CONSTRAINT session_templates_rule_count_positive CHECK (rule_count >= 1),
    CONSTRAINT session_templates_count_xor_until CHECK (
        rule_count IS NULL OR (rule_until_date IS NULL AND rule_until_at IS NULL)
    ),
    CONSTRAINT session_templates_metadata_is_object CHECK (jsonb_typeof(metadata) = 'object')
);

COMMENT ON TABLE scheduling.session_templates IS
'A recurring session: host, title, capacity, start mode and reminder policy given to every generated session, '
'an RRULE (text; parsed into the rule_* columns by trigger session_templates_validate), the first date (DTSTART), '
'the local start time and duration in an IANA time zone. generated_until is the watermark: the last local date '
'generate_recurring_sessions has covered. Write through create_template, update_template, pause_template, '
'resume_template, end_template.';

CREATE INDEX session_templates_active_idx ON scheduling.session_templates (id) WHERE status = 'active';

CREATE TABLE scheduling.template_exceptions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    template_id uuid NOT NULL,
    occurrence_date date NOT NULL,
    kind scheduling.template_exception_kind NOT NULL,
    session_id uuid,
    reason text,
    actor text NOT NULL DEFAULT session_user,
    created_at timestamptz NOT NULL,
    CONSTRAINT template_exceptions_template_id_fkey FOREIGN KEY (template_id)
    REFERENCES scheduling.session_templates (id),
    CONSTRAINT template_exceptions_template_date_key UNIQUE (template_id, occurrence_date)
);

COMMENT ON TABLE scheduling.template_exceptions IS
'Dates on which a template does not follow its rule: skipped (skip_template_occurrence) or moved by hand '
'(move_template_occurrence; session_id is the moved session). Generation never creates a session on such a date, '
'so exceptions survive regeneration and edits. session_id has no foreign key: the session may be archived.';

ALTER TABLE scheduling.sessions ADD COLUMN template_id uuid;

ALTER TABLE scheduling.sessions ADD COLUMN occurrence_date date;

ALTER TABLE scheduling.sessions ADD COLUMN visible_from timestamptz;

ALTER TABLE scheduling.sessions ADD COLUMN is_visible boolean NOT NULL DEFAULT TRUE;

ALTER TABLE scheduling.sessions ADD CONSTRAINT sessions_template_id_fkey
FOREIGN KEY (template_id) REFERENCES scheduling.session_templates (id);

ALTER TABLE scheduling.sessions ADD CONSTRAINT sessions_template_occurrence_key
UNIQUE (template_id, occurrence_date);

COMMENT ON COLUMN scheduling.sessions.template_id IS
'The recurring template that generated this session (NULL for a session created directly).';

COMMENT ON COLUMN scheduling.sessions.occurrence_date IS
'The local date (in the template''s zone) of the occurrence this session was generated for; UNIQUE with '
'template_id. Set to NULL when an edit or pause removes the occurrence, so that it may be generated again.';

COMMENT ON COLUMN scheduling.sessions.visible_from IS
'When the session becomes visible to users: the start of its occurrence date in its own zone for '
'generated sessions; NULL for sessions created directly (visible at once).';

COMMENT ON COLUMN scheduling.sessions.is_visible IS
'Whether users see the session: set by activate_scheduled_sessions once visible_from has passed.';

CREATE INDEX sessions_not_visible_idx ON scheduling.sessions (visible_from) WHERE NOT is_visible;

CREATE INDEX sessions_template_starts_idx ON scheduling.sessions (template_id, starts_at)
WHERE template_id IS NOT NULL;

CREATE TABLE scheduling.recurring_session_logs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    template_id uuid NOT NULL,
    session_id uuid,
    occurrence_date date,
    action text NOT NULL, -- noqa: RF04
    detail text,
    actor text NOT NULL DEFAULT session_user,
    happened_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT recurring_session_logs_template_id_fkey FOREIGN KEY (template_id)
    REFERENCES scheduling.session_templates (id),
    CONSTRAINT recurring_session_logs_action CHECK (
        action IN ('generated', 'removed', 'kept', 'skipped', 'moved', 'failed')
    )
);

COMMENT ON TABLE scheduling.recurring_session_logs IS
'The generation log: one row per session generated from a template, per future occurrence removed or '
'kept (booked or moved by hand) by an edit or pause, per date skipped or moved, and per template whose '
'generation failed in generate_all_recurring_sessions (detail holds the error). session_id has no foreign key: '
'the session may be archived. happened_at is p_now, recorded_at the wall clock.';

CREATE INDEX recurring_session_logs_template_idx ON scheduling.recurring_session_logs (template_id, id);

-- The archive: same columns as the live tables (as of this migration) plus archived_at; no foreign keys, so
-- rows keep their ids and history. A migration that adds a column to a live table adds it here too.
CREATE TABLE scheduling.sessions_archive (LIKE scheduling.sessions INCLUDING DEFAULTS);

ALTER TABLE scheduling.sessions_archive ADD COLUMN archived_at timestamptz NOT NULL;

ALTER TABLE scheduling.sessions_archive ADD CONSTRAINT sessions_archive_pkey PRIMARY KEY (id);

COMMENT ON TABLE scheduling.sessions_archive IS
'Closed sessions moved out of scheduling.sessions by archive_closed_sessions, with archived_at (its p_now).';

CREATE TABLE scheduling.session_status_history_archive (
    LIKE scheduling.session_status_history INCLUDING DEFAULTS
);

ALTER TABLE scheduling.session_status_history_archive ADD COLUMN archived_at timestamptz NOT NULL;

ALTER TABLE scheduling.session_status_history_archive
ADD CONSTRAINT session_status_history_archive_pkey PRIMARY KEY (id);

CREATE INDEX session_status_history_archive_session_idx
ON scheduling.session_status_history_archive (session_id, id);

COMMENT ON TABLE scheduling.session_status_history_archive IS
'History rows of archived sessions, with their original ids.';

CREATE TABLE scheduling.bookings_archive (LIKE scheduling.bookings INCLUDING DEFAULTS);

ALTER TABLE scheduling.bookings_archive ADD COLUMN archived_at timestamptz NOT NULL;

ALTER TABLE scheduling.bookings_archive ADD CONSTRAINT bookings_archive_pkey PRIMARY KEY (id);

CREATE INDEX bookings_archive_session_idx ON scheduling.bookings_archive (session_id);

COMMENT ON TABLE scheduling.bookings_archive IS 'Bookings of archived sessions.';

CREATE TABLE scheduling.booking_status_history_archive (
    LIKE scheduling.booking_status_history INCLUDING DEFAULTS
);

ALTER TABLE scheduling.booking_status_history_archive ADD COLUMN archived_at timestamptz NOT NULL;

ALTER TABLE scheduling.booking_status_history_archive
ADD CONSTRAINT booking_status_history_archive_pkey PRIMARY KEY (id);

COMMENT ON TABLE scheduling.booking_status_history_archive IS
'History rows of the bookings of archived sessions, with their original ids.';

CREATE TABLE scheduling.reminders_archive (LIKE scheduling.reminders INCLUDING DEFAULTS);

ALTER TABLE scheduling.reminders_archive ADD COLUMN archived_at timestamptz NOT NULL;

ALTER TABLE scheduling.reminders_archive ADD CONSTRAINT reminders_archive_pkey PRIMARY KEY (id);

COMMENT ON TABLE scheduling.reminders_archive IS 'Outbox rows (reminders, cancellation messages) of archived sessions.';

CREATE TABLE scheduling.reminder_state_history_archive (
    LIKE scheduling.reminder_state_history INCLUDING DEFAULTS
);

ALTER TABLE scheduling.reminder_state_history_archive ADD COLUMN archived_at timestamptz NOT NULL;

ALTER TABLE scheduling.reminder_state_history_archive
ADD CONSTRAINT reminder_state_history_archive_pkey PRIMARY KEY (id);

COMMENT ON TABLE scheduling.reminder_state_history_archive IS
'State history of the outbox rows of archived sessions, with their original ids.';

-- archive_closed_sessions looks closed sessions up by their end.
CREATE INDEX sessions_closed_ends_at_idx ON scheduling.sessions (ends_at)
WHERE status IN ('completed', 'cancelled', 'no_show') OR deleted_at IS NOT NULL;
