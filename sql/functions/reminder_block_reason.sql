CREATE OR REPLACE FUNCTION scheduling_internal.reminder_block_reason(
    p_reminder scheduling.reminders,
    p_booking scheduling.bookings,
    p_session scheduling.sessions,
    p_person scheduling.people,
    p_now timestamptz DEFAULT now()
)
RETURNS text
LANGUAGE plpgsql
STABLE
AS $function$
BEGIN
    IF p_reminder.deadline_at <= p_now THEN
        RETURN format(
            'deadline %s passed before it could be sent',
            scheduling_internal.format_local_time(p_reminder.deadline_at, p_person.time_zone)
        );
    END IF;

    -- A reminder, and the message that a seat was found, are pointless once the booking or its slot is gone.
    IF p_reminder.kind IN ('reminder', 'waitlist') THEN
        IF p_session.deleted_at IS NOT NULL THEN
            RETURN format(
                'session was deleted at %s', scheduling_internal.format_local_time(p_session.deleted_at, p_person.time_zone)
            );
        END IF;
        IF p_session.status <> 'scheduled' THEN
            RETURN format('session is %s', p_session.status);
        END IF;
        IF p_session.slot_version <> p_reminder.slot_version THEN
            RETURN format('session was rescheduled (slot %s, now %s)', p_reminder.slot_version, p_session.slot_version);
        END IF;
        IF p_booking.status <> 'confirmed' THEN
            RETURN format('booking is %s', p_booking.status);
        END IF;
    END IF;

    IF p_person.deleted_at IS NOT NULL THEN
        RETURN format(
            'recipient was deleted at %s', scheduling_internal.format_local_time(p_person.deleted_at, p_person.time_zone)
        );
    END IF;
    IF p_person.phone IS NULL THEN
        RETURN 'recipient has no phone number';
    END IF;
    IF NOT p_person.whatsapp_consent THEN
        RETURN 'recipient has not consented to WhatsApp messages';
    END IF;

    RETURN NULL;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.reminder_block_reason(
    scheduling.reminders, scheduling.bookings, scheduling.sessions, scheduling.people, timestamptz
) IS
'The claim-time re-check: NULL when the row may be sent at p_now, else why not. Any kind: deadline '
'passed (the row expires), recipient deleted, without phone, without WhatsApp consent. A reminder and a waitlist '
'message (a seat was found) also: '
'session deleted, not scheduled, rescheduled (slot_version changed), booking not confirmed. A cancellation '
'message is sent although its booking or session is cancelled: that is its point. Times in the reason are in '
'the recipient''s local time (format_local_time).'
' Side effects: none.';
