-- Retention: how long operational records are kept, and archives for the rows that name archived ones.
--
--   retention_settings        one row: older_than (default 7 days), the age purge_old_records deletes at
--   provider_events_archive   delivery reports of archived reminders (archive_closed_sessions moves them)
--   inbound_messages_archive  replies whose booking_id names an archived booking (moved the same way)
--   indexes                   provider_events by received_at and by reminder, inbound_messages by recorded_at
--                             and by booking, so that the purge and the archive find their rows without a scan

CREATE TABLE scheduling.retention_settings (
    singleton boolean PRIMARY KEY DEFAULT TRUE,
    older_than interval NOT NULL DEFAULT interval '7 days',
    CONSTRAINT retention_settings_singleton CHECK (singleton),
    CONSTRAINT retention_settings_older_than_positive CHECK (older_than > interval '0')
);

COMMENT ON TABLE scheduling.retention_settings IS
'One row: older_than, the age at which purge_old_records deletes provider events, inbound messages and the '
'heartbeats of workers gone quiet, and at which pg_cron''s run history of sessionkeeper''s jobs is deleted '
'(default 7 days, more than zero). Change it with set_retention_age.';

INSERT INTO scheduling.retention_settings (singleton) VALUES (TRUE);

CREATE TABLE scheduling.provider_events_archive (LIKE scheduling.provider_events INCLUDING DEFAULTS);

ALTER TABLE scheduling.provider_events_archive ADD COLUMN archived_at timestamptz NOT NULL;

ALTER TABLE scheduling.provider_events_archive ADD CONSTRAINT provider_events_archive_pkey PRIMARY KEY (id);

CREATE INDEX provider_events_archive_reminder_idx ON scheduling.provider_events_archive (reminder_id);

COMMENT ON TABLE scheduling.provider_events_archive IS
'Delivery reports of archived reminders, moved out of scheduling.provider_events by archive_closed_sessions '
'together with their reminder (same ids, archived_at = its p_now): a live provider event never names a reminder '
'that is only in reminders_archive.';

CREATE TABLE scheduling.inbound_messages_archive (LIKE scheduling.inbound_messages INCLUDING DEFAULTS);

ALTER TABLE scheduling.inbound_messages_archive ADD COLUMN archived_at timestamptz NOT NULL;

ALTER TABLE scheduling.inbound_messages_archive ADD CONSTRAINT inbound_messages_archive_pkey PRIMARY KEY (id);

CREATE INDEX inbound_messages_archive_booking_idx ON scheduling.inbound_messages_archive (booking_id);

COMMENT ON TABLE scheduling.inbound_messages_archive IS
'Replies whose booking_id names an archived booking, moved out of scheduling.inbound_messages by '
'archive_closed_sessions together with that booking (same ids, archived_at = its p_now): a live inbound message '
'never names a booking that is only in bookings_archive.';

CREATE INDEX provider_events_received_idx ON scheduling.provider_events (received_at);

CREATE INDEX provider_events_reminder_idx ON scheduling.provider_events (reminder_id)
WHERE reminder_id IS NOT NULL;

CREATE INDEX inbound_messages_recorded_idx ON scheduling.inbound_messages (recorded_at);

CREATE INDEX inbound_messages_booking_idx ON scheduling.inbound_messages (booking_id)
WHERE booking_id IS NOT NULL;
