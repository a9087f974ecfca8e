-- SECURITY DEFINER: apps hold no table privileges; this function is how they change these rows, with its checks.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.update_template(
    p_template_id uuid,
    p_title text DEFAULT NULL,
    p_rrule text DEFAULT NULL,
    p_first_date date DEFAULT NULL,
    p_local_start time DEFAULT NULL,
    p_duration interval DEFAULT NULL,
    p_time_zone text DEFAULT NULL,
    p_capacity integer DEFAULT NULL,
    p_start_mode scheduling.session_start_mode DEFAULT NULL,
    p_reminder_policy text DEFAULT NULL,
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
    v_policy_id uuid;
    v_result jsonb;
    v_days_ahead integer;
    v_created integer := 0;
BEGIN
    PERFORM scheduling_internal.check_now('update_template', p_now);
    PERFORM scheduling_internal.check_text_length('update_template: p_actor', p_actor, 'name');
    v_template := scheduling_internal.lock_template_for_action(p_template_id, 'update');
    IF v_template.status = 'ended' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK026', MESSAGE = format('cannot update recurring template %s: it has ended', v_template.id);
    END IF;

    v_policy_id := v_template.reminder_policy_id;
    PERFORM scheduling_internal.check_text_length('update_template: p_reminder_policy', p_reminder_policy, 'name');
    IF p_reminder_policy IS NOT NULL THEN
        SELECT rp.id INTO v_policy_id FROM scheduling.reminder_policies AS rp WHERE rp.name = p_reminder_policy;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING
                ERRCODE = 'SK016', MESSAGE = format('unknown reminder policy %L', p_reminder_policy);
        END IF;
    END IF;

    -- Validated by trigger session_templates_validate; the watermark is reset so that the new rule is
    -- generated again up to the old one.
    UPDATE scheduling.session_templates AS t
    SET
        title = coalesce(p_title, t.title),
        rrule = coalesce(p_rrule, t.rrule),
        first_date = coalesce(p_first_date, t.first_date),
        local_start = coalesce(p_local_start, t.local_start),
        duration = coalesce(p_duration, t.duration),
        time_zone = coalesce(p_time_zone, t.time_zone),
        capacity = coalesce(p_capacity, t.capacity),
        start_mode = coalesce(p_start_mode, t.start_mode),
        reminder_policy_id = v_policy_id,
        generated_until = NULL,
        updated_at = p_now
    WHERE t.id = v_template.id;

    v_result := scheduling_internal.remove_future_occurrences(
        v_template.id, 'template edited', p_actor, p_now
    );

    IF v_template.status = 'active' AND v_template.generated_until IS NOT NULL THEN
        v_days_ahead := greatest(
            v_template.generated_until - (p_now AT TIME ZONE coalesce(p_time_zone, v_template.time_zone))::date, 0
        );
        SELECT count(*)::integer INTO v_created
        FROM scheduling.generate_recurring_sessions(v_template.id, v_days_ahead, p_now);
    END IF;

    RETURN v_result || jsonb_build_object('template_id', v_template.id, 'created', v_created);
END;
$function$;

COMMENT ON FUNCTION scheduling.update_template(
    uuid, text, text, date, time, interval, text, integer, scheduling.session_start_mode, text, text, timestamptz
) IS
'Edits a recurring template (NULL arguments keep the current value) and applies the change to its future '
'occurrences: unbooked ones not moved by hand are soft-deleted and, for an active template, generated again from '
'the new rule up to the previous watermark; booked and hand-moved ones are kept unchanged and reported, never '
'moved. Returns {template_id, removed, kept: [{session_id, occurrence_date, starts_at, reason}], created}. '
'Errors: SK022 unknown template, SK026 ended template, SK016 unknown reminder policy, and the validation errors '
'of create_template (SK005, SK009, SK023, SK024, SK025); on error nothing is written.'
' Input limits: SK034 title, policy name or p_actor over 200 characters, rule over 500; SK009 a first date outside '
'the years 1900 to 9999.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: updates scheduling.session_templates, then those of remove_future_occurrences'' (unbooked future '
'sessions soft-deleted with session_status_history and recurring_session_logs rows; trigger '
'sessions_replan_reminders cancels their open reminders) and, for an active template, '
'generate_recurring_sessions'' (sessions inserted with session_status_history and recurring_session_logs rows, '
'generated_until raised).';

GRANT EXECUTE ON FUNCTION scheduling.update_template(
    uuid, text, text, date, time, interval, text, integer, scheduling.session_start_mode, text, text, timestamptz
) TO sessionkeeper_app;
