-- SECURITY DEFINER: apps hold no table privileges; this function is how they change these rows, with its checks.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.create_person(
    p_full_name text,
    p_phone text DEFAULT NULL,
    p_time_zone text DEFAULT 'UTC',
    p_whatsapp_consent boolean DEFAULT FALSE
)
RETURNS uuid
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    v_person_id uuid;
BEGIN
    -- Validation (SK005, SK006, SK009) is done by trigger people_validate, so a direct INSERT
    -- fails the same way.
    INSERT INTO scheduling.people (full_name, phone, time_zone, whatsapp_consent)
    VALUES (p_full_name, p_phone, p_time_zone, coalesce(p_whatsapp_consent, FALSE))
    RETURNING people.id INTO v_person_id;

    RETURN v_person_id;
END;
$function$;

COMMENT ON FUNCTION scheduling.create_person(text, text, text, boolean) IS
'Creates a person (host or attendee) and returns its id. p_phone must be E.164 (e.g. +34600123456) or NULL '
'(SK006); p_time_zone an IANA name (SK005); p_full_name not blank (SK009).'
' Input limits: SK034 full name over 200 characters.'
' Side effects: inserts a scheduling.people row.';

GRANT EXECUTE ON FUNCTION scheduling.create_person(text, text, text, boolean) TO sessionkeeper_app;
