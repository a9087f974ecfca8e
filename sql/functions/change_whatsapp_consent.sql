CREATE OR REPLACE FUNCTION scheduling_internal.change_whatsapp_consent(
    p_person_id uuid,
    p_consent boolean,
    p_source text,
    p_actor text,
    p_now timestamptz,
    p_inbound_message_id bigint DEFAULT NULL
)
RETURNS boolean
LANGUAGE plpgsql
AS $function$
DECLARE
    v_person scheduling.people;
BEGIN
    -- The row lock orders concurrent changes of one person: the second sees the first's value.
    SELECT p.* INTO v_person FROM scheduling.people AS p WHERE p.id = p_person_id FOR UPDATE;
    IF NOT FOUND OR v_person.deleted_at IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK007',
            MESSAGE = format('person %s not found or deleted', coalesce(p_person_id::text, 'NULL'));
    END IF;

    IF v_person.whatsapp_consent = p_consent THEN
        RETURN FALSE;
    END IF;

    UPDATE scheduling.people AS p SET whatsapp_consent = p_consent WHERE p.id = p_person_id;
    INSERT INTO scheduling.consent_changes (person_id, consent, source, actor, changed_at, inbound_message_id)
    VALUES (p_person_id, p_consent, p_source, p_actor, p_now, p_inbound_message_id);

    IF NOT p_consent THEN
        PERFORM scheduling_internal.close_person_messages(
            p_person_id,
            format(
                'opted out by %s at %s', p_source, scheduling_internal.format_local_time(p_now, v_person.time_zone)
            ),
            p_now
        );
    END IF;

    RETURN TRUE;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.change_whatsapp_consent(uuid, boolean, text, text, timestamptz, bigint) IS
'Internal: sets person p_person_id''s WhatsApp consent to p_consent, shared by set_whatsapp_consent and the reply '
'path of record_inbound_message (which pass a checked source and actor). Returns true when it changed, false '
'when the person already had that value (nothing written). A withdrawal closes every pending and leased message '
'to the person (close_person_messages) as skipped, reason ''opted out by {source} at {local time}'' in the '
'person''s time zone; consent given again reopens nothing. Errors: SK007 person unknown or deleted.'
' Side effects: updates scheduling.people (whatsapp_consent), inserts a scheduling.consent_changes row; a '
'withdrawal updates scheduling.reminders (logged in reminder_state_history by trigger reminders_history).';
