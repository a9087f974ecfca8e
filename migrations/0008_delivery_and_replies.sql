-- What the inbound webhook records. Delivery statuses of the messages the worker sent, and the
-- replies people write back ("CANCEL").
--
-- Type: delivery_status ('sent', 'delivered', 'read', 'failed'), a provider's report normalised (Twilio's
-- 'undelivered' is 'failed').
-- Columns of reminders (and of reminders_archive, which keeps the live column order, archived_at last):
-- delivery_status (NULL until the provider reports), delivery_status_at (the provider's time of the report that
-- set it), delivered_at, read_at (from the delivered and read reports, whatever order they arrive in),
-- delivery_error_code, delivery_error_message (from a failed report). The outbox state is not touched by them.
-- Tables: provider_events (every delivery report as received, one per provider, message id and status, so a
-- redelivered webhook is a no-op; reminder_id is NULL until a reminder with that provider message id exists),
-- inbound_messages (every message people sent us, once per provider message id, with what was done about it).
-- Indexes: reminders (provider_message_id), provider_events unmatched by message id, inbound_messages by person,
-- people (phone).
--
-- Written by record_delivery_status and record_inbound_message (the webhook role), and apply_delivery_events
-- (called by record_reminder_sent, for reports that arrived before the worker recorded its send).
--
-- Errors added by this migration (continuing 0006's SK033):
--   SK035  unknown provider (only 'whatsapp' and 'twilio')
--   SK036  provider message id missing (NULL or blank)
--   SK037  unknown delivery status word (neither WhatsApp's nor Twilio's)
-- Reused: SK006 sender that is not a phone number, SK009 invalid value (NULL p_now).

CREATE TYPE scheduling.delivery_status AS ENUM ('sent', 'delivered', 'read', 'failed');

COMMENT ON TYPE scheduling.delivery_status IS
'What the provider reported about a sent message. It only moves forward: sent, then failed, delivered, read '
'(failed replaces nothing but sent; a delivered or read report proves delivery and replaces failed).';

ALTER TABLE scheduling.reminders ADD COLUMN delivery_status scheduling.delivery_status;

ALTER TABLE scheduling.reminders ADD COLUMN delivery_status_at timestamptz;

ALTER TABLE scheduling.reminders ADD COLUMN delivered_at timestamptz;

ALTER TABLE scheduling.reminders ADD COLUMN read_at timestamptz;

ALTER TABLE scheduling.reminders ADD COLUMN delivery_error_code text;

ALTER TABLE scheduling.reminders ADD COLUMN delivery_error_message text;

COMMENT ON COLUMN scheduling.reminders.delivery_status IS
'The latest delivery status the provider reported (NULL: none yet). Separate from state, the outbox state.';

COMMENT ON COLUMN scheduling.reminders.delivery_status_at IS
'The provider''s time (or the receipt time when it gave none) of the report that set delivery_status.';

CREATE INDEX reminders_provider_message_id_idx ON scheduling.reminders (provider_message_id)
WHERE provider_message_id IS NOT NULL;

-- archive_closed_sessions copies reminders by position (r.*, then archived_at): the archive gets the new
-- columns in the same place, and archived_at is moved back to the end.
ALTER TABLE scheduling.reminders_archive ADD COLUMN delivery_status scheduling.delivery_status;

ALTER TABLE scheduling.reminders_archive ADD COLUMN delivery_status_at timestamptz;

ALTER TABLE scheduling.reminders_archive ADD COLUMN delivered_at timestamptz;

ALTER TABLE scheduling.reminders_archive ADD COLUMN read_at timestamptz;

ALTER TABLE scheduling.reminders_archive ADD COLUMN delivery_error_code text;

ALTER TABLE scheduling.reminders_archive ADD COLUMN delivery_error_message text;

ALTER TABLE scheduling.reminders_archive RENAME COLUMN archived_at TO archived_at_before_0008;

ALTER TABLE scheduling.reminders_archive ADD COLUMN archived_at timestamptz;

UPDATE scheduling.reminders_archive SET archived_at = archived_at_before_0008;

ALTER TABLE scheduling.reminders_archive DROP COLUMN archived_at_before_0008;

ALTER TABLE scheduling.reminders_archive ALTER COLUMN archived_at SET NOT NULL;

CREATE TABLE scheduling.provider_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider text NOT NULL, -- noqa: RF04
    provider_message_id text NOT NULL,
    status scheduling.delivery_status NOT NULL,
    provider_status text NOT NULL,
    status_at timestamptz,
    error_code text,
    error_message text,
    received_at timestamptz NOT NULL,
    reminder_id uuid,
    outcome text NOT NULL,
    CONSTRAINT provider_events_key UNIQUE (provider, provider_message_id, status),
    CONSTRAINT provider_events_provider_known CHECK (provider IN ('whatsapp', 'twilio')),
    CONSTRAINT provider_events_provider_message_id_not_blank CHECK (btrim(provider_message_id) <> ''),
    CONSTRAINT provider_events_outcome_known CHECK (outcome IN ('applied', 'stale', 'unmatched')),
    CONSTRAINT provider_events_matched_has_reminder CHECK ((outcome = 'unmatched') = (reminder_id IS NULL))
);

COMMENT ON TABLE scheduling.provider_events IS
'Delivery reports from the webhook, as received: provider (whatsapp, twilio), the provider message id, status '
'(normalised) and provider_status (the provider''s word), status_at (the provider''s time), error code and '
'message, received_at (p_now of the call). One row per provider, message id and status: a redelivered webhook '
'adds nothing. reminder_id is the outbox row it was applied to, NULL while no reminder has that message id '
'(outcome unmatched); outcome applied moved the reminder''s delivery_status, stale did not (a later status was '
'there). No foreign key: reminders move to reminders_archive with their ids. Written by record_delivery_status '
'and apply_delivery_events only.';

CREATE INDEX provider_events_unmatched_idx ON scheduling.provider_events (provider_message_id)
WHERE reminder_id IS NULL;

CREATE TABLE scheduling.inbound_messages (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider text NOT NULL, -- noqa: RF04
    provider_message_id text NOT NULL,
    from_phone text NOT NULL,
    body text,
    in_reply_to text,
    received_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL,
    person_id uuid,
    action text NOT NULL, -- noqa: RF04
    booking_id uuid,
    CONSTRAINT inbound_messages_key UNIQUE (provider, provider_message_id),
    CONSTRAINT inbound_messages_person_id_fkey FOREIGN KEY (person_id) REFERENCES scheduling.people (id),
    CONSTRAINT inbound_messages_provider_known CHECK (provider IN ('whatsapp', 'twilio')),
    CONSTRAINT inbound_messages_provider_message_id_not_blank CHECK (btrim(provider_message_id) <> ''),
    CONSTRAINT inbound_messages_from_phone_e164 CHECK (from_phone ~ '^\+[1-9][0-9]{6,14}$'),
    CONSTRAINT inbound_messages_body_length CHECK (char_length(body) <= 4096),
    CONSTRAINT inbound_messages_action_known CHECK (
        action IN ('cancelled_booking', 'nothing_to_cancel', 'unknown_sender', 'stored')
    )
);

COMMENT ON TABLE scheduling.inbound_messages IS
'Messages people sent to our WhatsApp number, once per provider and provider message id (a replayed webhook '
'returns the stored outcome). from_phone is E.164 with +; body is cut to 4096 characters (WhatsApp''s limit); '
'in_reply_to is the provider message id the person replied to; received_at the provider''s time, recorded_at '
'the p_now of the call. person_id: the sender (NULL when no person has that phone). action: cancelled_booking '
'(booking_id is the booking a CANCEL cancelled), nothing_to_cancel, unknown_sender, stored (any other text). '
'booking_id has no foreign key: bookings move to bookings_archive with their ids. Written by '
'record_inbound_message only.';

CREATE INDEX inbound_messages_person_id_idx ON scheduling.inbound_messages (person_id, received_at)
WHERE person_id IS NOT NULL;

-- record_inbound_message finds the sender by phone.
CREATE INDEX people_phone_idx ON scheduling.people (phone) WHERE deleted_at IS NULL;
