-- SECURITY DEFINER: apps hold no table privileges; this function is how they change these rows, with its checks.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.end_template(
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
    PERFORM scheduling_internal.check_now('end_template', p_now);
    PERFORM
        scheduling_internal.check_text_length('end_template: p_actor', p_actor, 'name'),
        scheduling_internal.check_text_length('end_template: p_reason', p_reason, 'free_text');
    v_template := scheduling_internal.lock_template_for_action(p_template_id, 'end');
    IF v_template.status = 'ended' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK026', MESSAGE = format('cannot end recurring template %s: it has already ended', v_template.id);
    END IF;

    UPDATE scheduling.session_templates AS t
    SET status = 'ended', ended_at = p_now, updated_at = p_now
    WHERE t.id = v_template.id;

    RETURN scheduling_internal.remove_future_occurrences(
        v_template.id, 'template ended' || coalesce(': ' || p_reason, ''), p_actor, p_now
    ) || jsonb_build_object('template_id', v_template.id, 'status', 'ended');
END;
$function$;

COMMENT ON FUNCTION scheduling.end_template(uuid, text, text, timestamptz) IS
'Ends an active or paused template for good: it never generates again; its future unbooked occurrences are '
'soft-deleted, booked and hand-moved ones kept and reported. Returns {template_id, status, removed, kept}. '
'Errors: SK022 unknown template, SK026 already ended.'
' Input limits: SK009 NULL p_now, SK034 p_reason over 2000 characters or p_actor over 200.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: updates scheduling.session_templates, then those of remove_future_occurrences'' (unbooked future '
'sessions soft-deleted with session_status_history and recurring_session_logs rows; trigger '
'sessions_replan_reminders cancels their open reminders).';

GRANT EXECUTE ON FUNCTION scheduling.end_template(uuid, text, text, timestamptz) TO sessionkeeper_app;
