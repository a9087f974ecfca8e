-- SECURITY DEFINER: apps hold no table privileges; this function is how they change these rows, with its checks.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.pause_template(
    p_template_id uuid,
    p_reason text DEFAULT NULL,
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
BEGIN
    PERFORM scheduling_internal.check_now('pause_template', p_now);
    PERFORM
        scheduling_internal.check_text_length('pause_template: p_actor', p_actor, 'name'),
        scheduling_internal.check_text_length('pause_template: p_reason', p_reason, 'free_text');
    v_template := scheduling_internal.lock_template_for_action(p_template_id, 'pause');
    IF v_template.status <> 'active' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK026',
            MESSAGE = format('cannot pause recurring template %s: it is %s', v_template.id, v_template.status);
    END IF;

    UPDATE scheduling.session_templates AS t
    SET status = 'paused', paused_at = p_now, generated_until = NULL, updated_at = p_now
    WHERE t.id = v_template.id;

    RETURN scheduling_internal.remove_future_occurrences(
        v_template.id, 'template paused' || coalesce(': ' || p_reason, ''), p_actor, p_now
    ) || jsonb_build_object('template_id', v_template.id, 'status', 'paused');
END;
$function$;

COMMENT ON FUNCTION scheduling.pause_template(uuid, text, text, timestamptz) IS
'Pauses an active template: it generates nothing until resume_template; its future unbooked occurrences are '
'soft-deleted, booked and hand-moved ones kept and reported. Returns {template_id, status, removed, kept}. '
'Errors: SK022 unknown template, SK026 not active.'
' Input limits: SK009 NULL p_now, SK034 p_reason over 2000 characters or p_actor over 200.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: updates scheduling.session_templates (paused, generated_until cleared), then those of '
'remove_future_occurrences'' (unbooked future sessions soft-deleted with session_status_history and '
'recurring_session_logs rows; trigger sessions_replan_reminders cancels their open reminders).';

GRANT EXECUTE ON FUNCTION scheduling.pause_template(uuid, text, text, timestamptz) TO sessionkeeper_app;
