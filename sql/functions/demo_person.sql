CREATE OR REPLACE FUNCTION scheduling_internal.demo_person(
    p_full_name text, p_phone text, p_time_zone text, p_whatsapp_consent boolean
)
RETURNS uuid
LANGUAGE plpgsql
AS $function$
DECLARE
    v_person_id uuid;
BEGIN
    -- A phone belongs to one live person: a second `sessionkeeper demo` books the demo people it made before.
    SELECT p.id INTO v_person_id FROM scheduling.people AS p WHERE p.phone = p_phone AND p.deleted_at IS NULL;
    RETURN coalesce(
        v_person_id, scheduling.create_person(p_full_name, p_phone, p_time_zone, p_whatsapp_consent)
    );
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.demo_person(text, text, text, boolean) IS
'Internal, for create_demo_data: the live person with phone p_phone, or a new one made by create_person with '
'these values. Errors: those of create_person.'
' Side effects: inserts a scheduling.people row when no live person has the phone.';
