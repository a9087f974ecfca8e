CREATE OR REPLACE VIEW scheduling.reminder_status AS
SELECT
    r.booking_id,
    r.reminder_key,
    r.kind::text AS kind,
    r.state,
    r.due_at,
    r.next_attempt_at,
    r.deadline_at,
    r.attempts,
    CASE
        WHEN r.last_error_code IS NOT NULL OR r.last_error_message IS NOT NULL
            THEN concat_ws(': ', r.last_error_code, r.last_error_message)
    END AS last_error,
    r.provider_message_id,
    r.sent_at,
    r.state_reason,
    r.session_id,
    r.slot_version,
    r.person_id,
    r.template_name,
    r.leased_by,
    r.lease_expires_at,
    r.updated_at,
    r.uncertain,
    r.delivery_status::text AS delivery_status,
    r.delivered_at,
    r.read_at,
    r.delivery_error_code,
    p.time_zone AS recipient_time_zone,
    r.language,
    r.language_source
FROM scheduling.reminders AS r
LEFT JOIN scheduling.people AS p ON r.person_id = p.id
ORDER BY r.booking_id, r.due_at, r.reminder_key;

COMMENT ON VIEW scheduling.reminder_status IS
'Every outbox row per booking: key, kind, state, due_at (the planned due time, as in reminders; '
'next_attempt_at differs after a retry or release), attempts, last_error (code: message), '
'provider_message_id, why it is in its state, uncertain (it may have reached the recipient more than once, or '
'was sent after it was closed), what the provider reported: delivery_status (sent, delivered, read, failed; NULL '
'before any report), delivered_at, read_at and delivery_error_code (of a failed report), and '
'recipient_time_zone (the IANA zone to show its times in), language (of its text) and language_source (why: '
'person = the recipient''s language, policy = the reminder policy''s, default = ''en'', the template existing in '
'neither). Filter on booking_id. No errors.'
' Side effects: none.';

GRANT SELECT ON scheduling.reminder_status TO sessionkeeper_app;
