-- SECURITY DEFINER: apps hold no table privileges; this function is how they record a person's consent, with its
-- history and the messages a withdrawal cancels.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.set_whatsapp_consent(
    p_person_id uuid,
    p_consent boolean,
    p_source text,
    p_actor text DEFAULT session_user,
    p_now timestamptz DEFAULT now()
)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
BEGIN
    PERFORM scheduling_internal.check_actor_and_now('set_whatsapp_consent', p_actor, p_now);
    IF p_source IS NULL OR p_source NOT IN ('app', 'reply', 'operator') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK052',
            MESSAGE = format(
                'set_whatsapp_consent: unknown source %s (app, reply or operator)',
                coalesce(quote_literal(left(p_source, 40)), 'NULL')
            );
    END IF;
    IF p_consent IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'SK009', MESSAGE = 'set_whatsapp_consent: p_consent must be true or false';
    END IF;

    RETURN scheduling_internal.change_whatsapp_consent(
        p_person_id, p_consent, p_source, coalesce(p_actor, session_user), p_now
    );
END;
$function$;

COMMENT ON FUNCTION scheduling.set_whatsapp_consent(uuid, boolean, text, text, timestamptz) IS
'Records that person p_person_id gave (p_consent true) or withdrew (false) consent to WhatsApp messages. '
'p_source: app (the application''s own screens), reply (the person''s reply, received outside the webhook), '
'operator (someone acting on the person''s word). Returns true when consent changed, false when the person '
'already had that value (nothing is written). A change writes a scheduling.consent_changes row (source, actor, '
'changed_at = p_now). A withdrawal closes, in the same transaction, every pending and leased message to the '
'person as skipped with the reason ''opted out by {source} at {local time}''; a send already in flight is '
'recorded as sent after it was closed (flagged uncertain). Giving consent again reopens none of them; bookings '
'made afterwards plan their reminders as usual. Errors, nothing written: SK052 p_source NULL or unknown, SK007 '
'person unknown or deleted, SK009 p_consent NULL or p_now NULL or infinite, SK034 p_actor over 200 characters, '
'SK038 p_now more than 5 minutes in the future while simulated time is off.'
' Side effects: updates scheduling.people (whatsapp_consent), inserts a scheduling.consent_changes row; a '
'withdrawal updates scheduling.reminders (logged in reminder_state_history by trigger reminders_history).';

GRANT EXECUTE ON FUNCTION scheduling.set_whatsapp_consent(uuid, boolean, text, text, timestamptz) TO sessionkeeper_app;
