CREATE OR REPLACE FUNCTION scheduling_internal.lock_template_for_action(p_template_id uuid, p_action text)
RETURNS scheduling.session_templates
LANGUAGE plpgsql
AS $function$
DECLARE
    v_template scheduling.session_templates;
BEGIN
    SELECT t.* INTO v_template
    FROM scheduling.session_templates AS t
    WHERE t.id = p_template_id
    FOR UPDATE;

    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK022',
            MESSAGE = format('cannot %s recurring template %s: not found', p_action, coalesce(p_template_id::text, 'NULL'));
    END IF;

    RETURN v_template;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.lock_template_for_action(uuid, text) IS
'Locks a recurring template row (FOR UPDATE) for the named action and returns it. Errors: SK022 not found.'
' Side effects: locks the template row (FOR UPDATE); writes nothing.';
