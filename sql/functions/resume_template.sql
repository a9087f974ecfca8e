-- SECURITY DEFINER: apps hold no table privileges; this function is how they change these rows, with its checks.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.resume_template(
    p_template_id uuid,
    p_days_ahead integer DEFAULT 30,
    p_actor text DEFAULT session_user,
    p_now timestamptz DEFAULT now()
)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    v_template scheduling.session_templates;
    v_created integer;
BEGIN
    PERFORM scheduling_internal.check_now('resume_template', p_now);
    -- p_actor is accepted for symmetry with the other template actions; generation logs carry session_user.
    PERFORM scheduling_internal.check_text_length('resume_template: p_actor', p_actor, 'name');
    v_template := scheduling_internal.lock_template_for_action(p_template_id, 'resume');
    IF v_template.status <> 'paused' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK026',
            MESSAGE = format('cannot resume recurring template %s: it is %s', v_template.id, v_template.status);
    END IF;

    UPDATE scheduling.session_templates AS t
    SET status = 'active', paused_at = NULL, updated_at = p_now
    WHERE t.id = v_template.id;

    SELECT count(*)::integer INTO v_created
    FROM scheduling.generate_recurring_sessions(v_template.id, p_days_ahead, p_now);

    RETURN jsonb_build_object('template_id', v_template.id, 'status', 'active', 'created', v_created);
END;
$function$;

COMMENT ON FUNCTION scheduling.resume_template(uuid, integer, text, timestamptz) IS
'Makes a paused template active again and generates its next p_days_ahead days at once. Returns {template_id, '
'status, created}. Errors: SK022 unknown template, SK026 not paused, SK009 bad p_days_ahead.'
' Input limits: SK009 NULL p_now, SK034 p_actor over 200 characters.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: updates scheduling.session_templates, then those of generate_recurring_sessions'' (sessions '
'inserted with session_status_history and recurring_session_logs rows, generated_until raised).';

GRANT EXECUTE ON FUNCTION scheduling.resume_template(uuid, integer, text, timestamptz) TO sessionkeeper_app;
