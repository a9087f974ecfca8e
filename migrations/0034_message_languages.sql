-- Which language a message is written in, and why; cancellation texts that fit what was cancelled; the message
-- that a seat freed up written as kind waitlist (0033 added the value).
--
-- reminders.language_source: how the row's language was chosen (scheduling_internal.message_language): person
-- (people.language has the template), policy (the reminder policy's language has it), default (neither: 'en').
-- Rows written before this migration took the policy's language, except the waitlist messages, written in 'en';
-- they are recorded so. reminders_archive gets the column in the same place (archive_closed_sessions copies by
-- position), and archived_at is moved back to the end, as 0022 did.
--
-- Waitlist messages already queued as kind reminder (key {booking_id}-waitlist-promoted) become kind waitlist.
--
-- Shipped cancellation texts: appointment_cancelled (a 1:1 appointment, already there), workshop_seat_cancelled
-- (a session of a workshop run) and class_cancelled (any other session).

ALTER TABLE scheduling.reminders ADD COLUMN language_source text;

UPDATE scheduling.reminders AS r
SET language_source = CASE WHEN r.template_name = 'waitlist_promoted' THEN 'default' ELSE 'policy' END;

UPDATE scheduling.reminders AS r
SET kind = 'waitlist'
WHERE r.kind = 'reminder' AND r.reminder_key LIKE '%-waitlist-promoted';

ALTER TABLE scheduling.reminders ALTER COLUMN language_source SET NOT NULL;

ALTER TABLE scheduling.reminders ADD CONSTRAINT reminders_language_source_known CHECK (
    language_source IN ('person', 'policy', 'default')
);

COMMENT ON COLUMN scheduling.reminders.language_source IS
'Why the row is in its language: person (the recipient''s people.language, which has the template), policy (the '
'reminder policy''s language: the person has none, or the template does not exist in it) or default (''en'': the '
'template exists in neither). Chosen by scheduling_internal.message_language when the row is written.';

ALTER TABLE scheduling.reminders_archive ADD COLUMN language_source text;

ALTER TABLE scheduling.reminders_archive RENAME COLUMN archived_at TO archived_at_before_0034;

ALTER TABLE scheduling.reminders_archive ADD COLUMN archived_at timestamptz;

UPDATE scheduling.reminders_archive AS a
SET
    archived_at = a.archived_at_before_0034,
    language_source = CASE WHEN a.template_name = 'waitlist_promoted' THEN 'default' ELSE 'policy' END,
    kind = CASE
        WHEN a.kind = 'reminder' AND a.reminder_key LIKE '%-waitlist-promoted' THEN 'waitlist' ELSE a.kind
    END;

ALTER TABLE scheduling.reminders_archive DROP COLUMN archived_at_before_0034;

ALTER TABLE scheduling.reminders_archive ALTER COLUMN archived_at SET NOT NULL;

ALTER TABLE scheduling.reminders_archive ALTER COLUMN language_source SET NOT NULL;

COMMENT ON TABLE scheduling.reminders_archive IS
'Outbox rows (reminders, cancellation and waitlist messages) of archived sessions.';

INSERT INTO scheduling.message_templates (name, language, body, parameter_names, whatsapp_template_name)
VALUES
(
    'workshop_seat_cancelled', 'en',
    E'Hello {customer_name},\n\n'
    || E'Your seat in the workshop session "{service}" on {date_time} has been cancelled.\n\n'
    || E'If this was a mistake, please contact us.\n\n'
    || E'Thank you!',
    '{customer_name,service,date_time}', 'workshop_seat_cancelled'
),
(
    'class_cancelled', 'en',
    E'Hello {customer_name},\n\n'
    || E'Your place in the class "{service}" with {host_name} on {date_time} has been cancelled.\n\n'
    || E'If this was a mistake, please contact us to book another class.\n\n'
    || E'Thank you!',
    '{customer_name,service,host_name,date_time}', 'class_cancelled'
);

COMMENT ON TABLE scheduling.message_templates IS
'Message texts per name and language (a code of scheduling.languages). body has {named} placeholders; '
'parameter_names gives the order of the WhatsApp body parameters {{1}}, {{2}}, ... of the approved template '
'whatsapp_template_name (Twilio: twilio_content_sid, without which Twilio cannot send it). Write through '
'scheduling.upsert_message_template; validated by trigger message_templates_validate (SK009, SK056, SK050).';
