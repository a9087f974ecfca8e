-- SECURITY DEFINER: apps hold no table privileges; this function is how they change these rows, with its checks.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.update_person(
    p_person_id uuid,
    p_full_name text DEFAULT NULL,
    p_phone text DEFAULT NULL,
    p_time_zone text DEFAULT NULL,
    p_language text DEFAULT NULL,
    p_actor text DEFAULT session_user,
    p_now timestamptz DEFAULT now(),
    p_clear_phone boolean DEFAULT FALSE,
    p_clear_language boolean DEFAULT FALSE
)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    v_person scheduling.people;
    v_phone text;
    v_language text;
    v_fields text [];
BEGIN
    PERFORM scheduling_internal.check_actor_and_now('update_person', p_actor, p_now);
    IF (p_clear_phone AND p_phone IS NOT NULL) OR (p_clear_language AND p_language IS NOT NULL) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK051',
            MESSAGE = format(
                'update_person: %s given and cleared at once',
                CASE WHEN p_clear_phone AND p_phone IS NOT NULL THEN 'p_phone' ELSE 'p_language' END
            ),
            HINT = 'Pass either a new value or p_clear_phone / p_clear_language => true, not both.';
    END IF;

    SELECT p.* INTO v_person FROM scheduling.people AS p WHERE p.id = p_person_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK007', MESSAGE = format('person %s not found', coalesce(p_person_id::text, 'NULL'));
    END IF;
    IF v_person.deleted_at IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK007', MESSAGE = format('person %s is deleted', p_person_id);
    END IF;

    v_phone := CASE
        WHEN coalesce(p_clear_phone, FALSE) THEN NULL
        ELSE coalesce(scheduling_internal.normalized_phone(p_phone), v_person.phone)
    END;
    v_language := CASE WHEN coalesce(p_clear_language, FALSE) THEN NULL ELSE coalesce(p_language, v_person.language) END;
    SELECT coalesce(array_agg(f.field ORDER BY f.position), '{}')
    INTO v_fields
    FROM (
        VALUES
        (1, 'full_name', p_full_name IS NOT NULL AND p_full_name IS DISTINCT FROM v_person.full_name),
        (2, 'phone', v_phone IS DISTINCT FROM v_person.phone),
        (3, 'time_zone', p_time_zone IS NOT NULL AND p_time_zone IS DISTINCT FROM v_person.time_zone),
        (4, 'language', v_language IS DISTINCT FROM v_person.language)
    ) AS f (position, field, changed)
    WHERE f.changed;

    IF cardinality(v_fields) > 0 THEN
        -- Validated (SK005, SK006, SK009, SK034, SK049, SK050) by trigger people_validate, like a direct UPDATE.
        UPDATE scheduling.people AS p
        SET
            full_name = coalesce(p_full_name, p.full_name),
            phone = v_phone,
            time_zone = coalesce(p_time_zone, p.time_zone),
            language = v_language
        WHERE p.id = v_person.id;

        INSERT INTO scheduling.person_changes (person_id, changed_at, actor, changed_fields)
        VALUES (v_person.id, p_now, p_actor, v_fields);
    END IF;

    RETURN jsonb_build_object('person_id', v_person.id, 'changed', to_jsonb(v_fields));
END;
$function$;

COMMENT ON FUNCTION scheduling.update_person(uuid, text, text, text, text, text, timestamptz, boolean, boolean) IS
'Changes a person''s full name, phone, time zone or language; a NULL argument keeps the current value. '
'p_clear_phone => true removes the phone (no WhatsApp messages can reach them), p_clear_language => true removes the '
'language (the reminder policy''s applies). The phone is normalised to E.164 as in create_person. Returns '
'{person_id, changed: [field, ...]} naming the fields whose value changed (empty: nothing was written). '
'Errors: SK007 unknown or deleted person, SK051 a value given and cleared at once, and the checks of trigger '
'people_validate: SK009 blank full name, SK006 phone not E.164, SK049 phone of another person who is not deleted '
'(naming their id), SK005 unknown time zone, SK050 unknown language; on error nothing is written.'
' Input limits: SK034 full name, phone, time zone, language or p_actor over 200 characters.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: when something changed, updates the scheduling.people row (updated_at too) and inserts a '
'scheduling.person_changes row (p_actor, p_now and the names of the changed fields, never their values).';

GRANT EXECUTE ON FUNCTION scheduling.update_person(
    uuid, text, text, text, text, text, timestamptz, boolean, boolean
) TO sessionkeeper_app;
