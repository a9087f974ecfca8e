-- Bookings and the reminder outbox.
--
-- Tables: message_templates, reminder_policies, bookings, booking_status_history, reminders (the outbox),
-- reminder_state_history; column sessions.reminder_policy_id (NULL = the policy named 'default').
--
-- Bookings: confirmed -> cancelled (cancel_booking). A 1:1 appointment is a session of capacity 1
-- with one booking (create_appointment); reschedule_booking moves its session. A seat in a group session
-- (capacity <> 1) is not rescheduled by itself: reschedule the session, or cancel and book another one.
--
-- Reminder rows (kind reminder or cancellation) are planned in the same transaction as the change:
--   booking created            -> reminders of the booking for the session's current slot
--   session rescheduled        -> open reminders of older slots cancelled, new ones planned per booking
--   session cancelled/no-show/deleted, booking cancelled -> open reminders cancelled; a cancellation message
--                                 is queued when a booking or a still upcoming scheduled session is cancelled
-- Reminder states: pending -> leased (claim) -> sent | pending (retry, release) | failed | expired;
--   pending/leased -> cancelled (the change above) | skipped (claim-time re-check failed, quiet hours);
--   skipped rows of quiet hours are written skipped at once so that they stay visible.
--
-- Errors added by this migration (SQLSTATE class "SK", continuing 0002's SK001-SK009):
--   SK010  booking not found
--   SK011  the person already has a booking (not cancelled) in this session
--   SK012  session is full (capacity reached; 0 = unlimited)
--   SK013  booking action not allowed in the booking's status (e.g. cancel or reschedule a cancelled booking)
--   SK014  reschedule_booking on a seat of a group session (capacity <> 1): reschedule the session instead
--   SK015  unknown message template (name and language)
--   SK016  unknown reminder policy
--   SK017  invalid interval: a reminder offset or repeat interval, a lease, zero or negative (or a repeat
--          under one minute)
--   SK018  stale or wrong attempt token (the lease was re-claimed, released, or the token is not this row's)
--   SK019  reminder not found
-- Reused: SK001/SK002 unknown/deleted session, SK003 booking a session that is not scheduled, SK007 unknown or
-- deleted person, SK009 invalid value (blank names, placeholders not matching parameter_names, bad limits).

CREATE TYPE scheduling.booking_status AS ENUM ('confirmed', 'cancelled');

COMMENT ON TYPE scheduling.booking_status IS
'Status of a booking: confirmed (holds a seat, gets reminders) or cancelled (final).';

CREATE TYPE scheduling.reminder_state AS ENUM (
    'pending', 'leased', 'sent', 'failed', 'cancelled', 'skipped', 'expired'
);

COMMENT ON TYPE scheduling.reminder_state IS
'State of an outbox row: pending (waits for next_attempt_at), leased (claimed by a worker until '
'lease_expires_at), sent, failed (permanent error or retries exhausted), cancelled (its booking or session '
'changed), skipped (claim-time re-check failed, or quiet hours left no time before the start), expired '
'(its deadline passed before it could be sent).';

CREATE TYPE scheduling.reminder_kind AS ENUM ('reminder', 'cancellation');

COMMENT ON TYPE scheduling.reminder_kind IS
'What an outbox row sends: a reminder before the session, or the message that a booking or session was '
'cancelled.';

CREATE TABLE scheduling.message_templates (
    name text NOT NULL, -- noqa: RF04
    language text NOT NULL, -- noqa: RF04
    body text NOT NULL,
    parameter_names text [] NOT NULL DEFAULT '{}',
    whatsapp_template_name text NOT NULL,
    twilio_content_sid text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT message_templates_pkey PRIMARY KEY (name, language)
);

COMMENT ON TABLE scheduling.message_templates IS
'Message texts per name and language. body has {named} placeholders; parameter_names gives the order of the '
'WhatsApp body parameters {{1}}, {{2}}, ... of the approved template whatsapp_template_name (Twilio: '
'twilio_content_sid). Validated by trigger message_templates_validate (SK009).';

CREATE TABLE scheduling.reminder_policies (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL, -- noqa: RF04
    offsets interval [] NOT NULL DEFAULT '{}', -- noqa: RF04
    repeat_every interval,
    quiet_start time,
    quiet_end time,
    language text NOT NULL DEFAULT 'en', -- noqa: RF04
    reminder_template text NOT NULL,
    cancellation_template text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT reminder_policies_name_key UNIQUE (name),
    CONSTRAINT reminder_policies_quiet_both CHECK ((quiet_start IS NULL) = (quiet_end IS NULL)),
    CONSTRAINT reminder_policies_reminder_template_fkey FOREIGN KEY (reminder_template, language)
    REFERENCES scheduling.message_templates (name, language),
    CONSTRAINT reminder_policies_cancellation_template_fkey FOREIGN KEY (cancellation_template, language)
    REFERENCES scheduling.message_templates (name, language)
);

COMMENT ON TABLE scheduling.reminder_policies IS
'When reminders are sent: at each of offsets before the start (for example 1 hour) and/or every repeat_every '
'counted from the booking time (for example 2 hours), never at or after the start. Optional quiet hours '
'[quiet_start, quiet_end) in the recipient''s time zone (may cross midnight): a reminder in them moves to '
'their end if that is still before the start, else is skipped. The policy named ''default'' applies to '
'sessions whose reminder_policy_id is NULL. Validated by trigger reminder_policies_validate (SK015, SK017).';

ALTER TABLE scheduling.sessions ADD COLUMN reminder_policy_id uuid;

ALTER TABLE scheduling.sessions ADD CONSTRAINT sessions_reminder_policy_id_fkey
FOREIGN KEY (reminder_policy_id) REFERENCES scheduling.reminder_policies (id);

COMMENT ON COLUMN scheduling.sessions.reminder_policy_id IS
'Reminder policy of the session; NULL = the policy named ''default''. Read when reminders are planned.';

CREATE TABLE scheduling.bookings (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id uuid NOT NULL,
    person_id uuid NOT NULL,
    status scheduling.booking_status NOT NULL DEFAULT 'confirmed',
    order_reference text,
    booked_slot_version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL,
    cancelled_at timestamptz,
    cancel_reason text,
    updated_at timestamptz NOT NULL,
    CONSTRAINT bookings_session_id_fkey FOREIGN KEY (session_id) REFERENCES scheduling.sessions (id),
    CONSTRAINT bookings_person_id_fkey FOREIGN KEY (person_id) REFERENCES scheduling.people (id),
    CONSTRAINT bookings_cancelled_has_cancelled_at CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL))
);

COMMENT ON TABLE scheduling.bookings IS
'A person''s seat in a session. created_at is the logical time (p_now) of the booking, from which repeating '
'reminders are counted; booked_slot_version the session''s slot_version then. At most one booking that is not '
'cancelled per person and session. Write through create_booking, create_appointment, cancel_booking, '
'reschedule_booking; validated by trigger bookings_validate.';

CREATE UNIQUE INDEX bookings_session_person_active_key ON scheduling.bookings (session_id, person_id)
WHERE status <> 'cancelled';

CREATE INDEX bookings_person_id_idx ON scheduling.bookings (person_id);

CREATE TABLE scheduling.booking_status_history (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    booking_id uuid NOT NULL,
    from_status scheduling.booking_status,
    to_status scheduling.booking_status NOT NULL,
    detail text,
    actor text NOT NULL DEFAULT session_user,
    happened_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT booking_status_history_booking_id_fkey FOREIGN KEY (booking_id)
    REFERENCES scheduling.bookings (id)
);

COMMENT ON TABLE scheduling.booking_status_history IS
'Every change of a booking: creation (from_status NULL), cancellation, and reschedules of a 1:1 appointment '
'(confirmed -> confirmed, detail names the slots). happened_at is p_now, recorded_at the wall clock.';

CREATE INDEX booking_status_history_booking_id_idx ON scheduling.booking_status_history (booking_id, id);

CREATE TABLE scheduling.reminders (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    reminder_key text NOT NULL,
    booking_id uuid NOT NULL,
    session_id uuid NOT NULL,
    slot_version integer NOT NULL,
    slot_starts_at timestamptz NOT NULL,
    kind scheduling.reminder_kind NOT NULL,
    seq integer NOT NULL,
    person_id uuid NOT NULL,
    template_name text NOT NULL,
    language text NOT NULL, -- noqa: RF04
    parameters jsonb NOT NULL DEFAULT '{}', -- noqa: RF04
    due_at timestamptz NOT NULL,
    deadline_at timestamptz NOT NULL,
    state scheduling.reminder_state NOT NULL DEFAULT 'pending',
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    lease_expires_at timestamptz,
    attempt_token uuid,
    leased_by text,
    provider_message_id text,
    last_error_code text,
    last_error_message text,
    sent_at timestamptz,
    state_reason text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT reminders_reminder_key_key UNIQUE (reminder_key),
    CONSTRAINT reminders_slot_seq_key UNIQUE (booking_id, kind, slot_version, seq),
    CONSTRAINT reminders_booking_id_fkey FOREIGN KEY (booking_id) REFERENCES scheduling.bookings (id),
    CONSTRAINT reminders_session_id_fkey FOREIGN KEY (session_id) REFERENCES scheduling.sessions (id),
    CONSTRAINT reminders_person_id_fkey FOREIGN KEY (person_id) REFERENCES scheduling.people (id),
    CONSTRAINT reminders_template_fkey FOREIGN KEY (template_name, language)
    REFERENCES scheduling.message_templates (name, language),
    CONSTRAINT reminders_attempts_not_negative CHECK (attempts >= 0),
    CONSTRAINT reminders_leased_has_lease CHECK (
        state <> 'leased' OR (lease_expires_at IS NOT NULL AND attempt_token IS NOT NULL)
    ),
    CONSTRAINT reminders_sent_has_sent_at CHECK (state <> 'sent' OR sent_at IS NOT NULL)
);

COMMENT ON TABLE scheduling.reminders IS
'The outbox: one row per WhatsApp message to send. reminder_key is deterministic ({booking_id}-reminder-{n} '
'for the slot the booking was made in, {booking_id}-v{slot_version}-reminder-{n} after a reschedule, '
'{booking_id}-cancellation-{slot_version}), so planning twice never duplicates. deadline_at: after it sending '
'is pointless (the start for a reminder, due + 24 h for a cancellation message). attempts counts claims that '
'ended in a recorded send or failure (not lease expiries or releases). parameters hold the values rendered '
'at the last claim. The worker only uses claim_due_reminders, record_reminder_sent, record_reminder_failure '
'and release_reminder.';

CREATE INDEX reminders_pending_due_idx ON scheduling.reminders (next_attempt_at) WHERE state = 'pending';

CREATE INDEX reminders_leased_idx ON scheduling.reminders (lease_expires_at) WHERE state = 'leased';

CREATE INDEX reminders_open_session_idx ON scheduling.reminders (session_id)
WHERE state IN ('pending', 'leased');

CREATE INDEX reminders_booking_id_idx ON scheduling.reminders (booking_id, due_at);

CREATE TABLE scheduling.reminder_state_history (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reminder_id uuid NOT NULL,
    from_state scheduling.reminder_state,
    to_state scheduling.reminder_state NOT NULL,
    reason text,
    attempts integer NOT NULL,
    happened_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT reminder_state_history_reminder_id_fkey FOREIGN KEY (reminder_id)
    REFERENCES scheduling.reminders (id)
);

COMMENT ON TABLE scheduling.reminder_state_history IS
'Every state change of an outbox row (from_state NULL = planned), written by trigger reminders_history; '
'reason is the row''s state_reason or last error, happened_at its updated_at (the p_now of the change).';

CREATE INDEX reminder_state_history_reminder_id_idx ON scheduling.reminder_state_history (reminder_id, id);

-- The default message texts. Placeholders are snake_case; parameter_names give the WhatsApp order.
INSERT INTO scheduling.message_templates (name, language, body, parameter_names, whatsapp_template_name)
VALUES
(
    'session_reminder', 'en',
    E'Hello {customer_name}! This is a reminder: your session "{service}" with {host_name} starts in '
    || E'{time_until}, on {date_time}.',
    '{customer_name,service,host_name,time_until,date_time}', 'session_reminder'
),
(
    'appointment_reminder', 'en',
    E'Hello {customer_name}! \U0001F44B\n\n'
    || E'This is a reminder about your upcoming appointment.\n\n'
    || E'\U0001F4C5 Date & Time: {date_time}\n'
    || E'\u2702\uFE0F Service: {service}\n'
    || E'\U0001F488 Barber: {host_name}\n\n'
    || E'\u23F0 Your appointment is in {time_until}\n\n'
    || E'Please arrive 5-10 minutes early.\n'
    || E'Reply CANCEL to cancel this appointment.\n\n'
    || E'We look forward to seeing you! \U0001F4AF',
    '{customer_name,date_time,service,host_name,time_until}', 'appointment_reminder'
),
(
    'appointment_cancelled', 'en',
    E'Hello {customer_name},\n\n'
    || E'Your appointment scheduled for {date_time} has been cancelled.\n\n'
    || E'If this was a mistake, please contact us to reschedule.\n\n'
    || E'Thank you! \U0001F64F',
    '{customer_name,date_time}', 'appointment_cancelled'
);

INSERT INTO scheduling.reminder_policies (name, offsets, repeat_every, reminder_template, cancellation_template)
VALUES
('default', '{1 hour}', NULL, 'session_reminder', 'appointment_cancelled'),
('every_2_hours', '{}', '2 hours', 'appointment_reminder', 'appointment_cancelled');
