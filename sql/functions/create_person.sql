-- SECURITY DEFINER: apps hold no table privileges; this function is how they change these rows, with its checks.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.create_person(
    p_full_name text,
    p_phone text DEFAULT NULL,
    p_time_zone text DEFAULT 'UTC',
    p_whatsapp_consent boolean DEFAULT FALSE,
    p_language text DEFAULT NULL
)
RETURNS uuid
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    v_person_id uuid;
BEGIN
    -- Validation and the phone's E.164 form (SK005, SK006, SK009, SK049, SK050) are done by trigger
    -- people_validate, so a direct INSERT fails the same way.
    INSERT INTO scheduling.people (full_name, phone, time_zone, whatsapp_consent, language)
    VALUES (p_full_name, p_phone, p_time_zone, coalesce(p_whatsapp_consent, FALSE), p_language)
    RETURNING people.id INTO v_person_id;

    RETURN v_person_id;
END;
$function$;

COMMENT ON FUNCTION scheduling.create_person(text, text, text, boolean, text) IS
'Creates a person (host or attendee) and returns its id. p_phone is stored in E.164: spaces, dashes, dots and '
'parentheses are dropped and a leading 00 becomes + (''0049 151 1234-5678'' is stored as +4915112345678); what is '
'then not E.164 is SK006, and a phone another person who is not deleted has is SK049 (naming their id). '
'p_time_zone an IANA name (SK005); p_full_name not blank (SK009); p_language a code of scheduling.languages or NULL '
'for no preference (SK050).'
' Input limits: SK034 full name, phone, time zone or language over 200 characters.'
' Side effects: inserts a scheduling.people row.';

GRANT EXECUTE ON FUNCTION scheduling.create_person(text, text, text, boolean, text) TO sessionkeeper_app;
