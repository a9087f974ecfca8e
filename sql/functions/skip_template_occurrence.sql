-- SECURITY DEFINER: apps hold no table privileges; this function is how they change these rows, with its checks.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.skip_template_occurrence(
    p_template_id uuid,
    p_occurrence_date date,
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
    v_session scheduling.sessions;
    v_outcome text := 'no session yet';
BEGIN
    PERFORM scheduling_internal.check_now('skip_template_occurrence', p_now);
    PERFORM
        scheduling_internal.check_text_length('skip_template_occurrence: p_actor', p_actor, 'name'),
        scheduling_internal.check_text_length('skip_template_occurrence: p_reason', p_reason, 'free_text');
    v_template := scheduling_internal.lock_template_for_action(p_template_id, 'skip a date of');
    IF NOT EXISTS (
        SELECT 1 FROM scheduling.template_occurrences(v_template.id, p_occurrence_date, p_occurrence_date)
    ) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK027',
            MESSAGE = format('%s is not an occurrence of recurring template %s', p_occurrence_date, v_template.id);
    END IF;

    INSERT INTO scheduling.template_exceptions (template_id, occurrence_date, kind, reason, actor, created_at)
    VALUES (v_template.id, p_occurrence_date, 'skipped', p_reason, coalesce(p_actor, session_user), p_now)
    ON CONFLICT ON CONSTRAINT template_exceptions_template_date_key DO NOTHING;
    IF NOT FOUND THEN
        RETURN jsonb_build_object(
            'template_id', v_template.id, 'occurrence_date', p_occurrence_date, 'outcome', 'already an exception'
        );
    END IF;

    SELECT s.* INTO v_session
    FROM scheduling.sessions AS s
    WHERE s.template_id = v_template.id AND s.occurrence_date = p_occurrence_date AND s.deleted_at IS NULL
    FOR UPDATE;
    IF FOUND THEN
        IF v_session.status <> 'scheduled' OR EXISTS (
            SELECT 1 FROM scheduling.bookings AS b WHERE b.session_id = v_session.id AND b.status = 'confirmed'
        ) THEN
            v_outcome := 'session kept (booked or not scheduled)';
        ELSE
            PERFORM scheduling.delete_session(
                v_session.id, 'date skipped' || coalesce(': ' || p_reason, ''), p_actor, p_now
            );
            v_outcome := 'session deleted';
        END IF;
    END IF;

    UPDATE scheduling.template_exceptions AS e
    SET session_id = v_session.id
    WHERE e.template_id = v_template.id AND e.occurrence_date = p_occurrence_date;

    INSERT INTO scheduling.recurring_session_logs (
        template_id, session_id, occurrence_date, action, detail, actor, happened_at
    )
    VALUES (
        v_template.id, v_session.id, p_occurrence_date, 'skipped',
        v_outcome || coalesce(': ' || p_reason, ''), coalesce(p_actor, session_user), p_now
    );

    RETURN jsonb_build_object(
        'template_id', v_template.id, 'occurrence_date', p_occurrence_date, 'session_id', v_session.id,
        'outcome', v_outcome
    );
END;
$function$;

COMMENT ON FUNCTION scheduling.skip_template_occurrence(uuid, date, text, text, timestamptz) IS
'Adds a skipped exception: no session is ever generated for that date of the template. A session already '
'generated for it is soft-deleted when nobody booked it; a booked (or no longer scheduled) one is kept and the '
'outcome says so. Returns {template_id, occurrence_date, session_id, outcome}. Errors: SK022 unknown template, '
'SK027 the date is not an occurrence of the rule.'
' Input limits: SK009 NULL p_now or date, SK034 p_reason over 2000 characters or p_actor over 200.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: inserts or updates a scheduling.template_exceptions row and inserts a recurring_session_logs row;'
' an unbooked generated session of that date is soft-deleted through delete_session (history row, NOTIFY '
'scheduling_session_status, open reminders cancelled by trigger sessions_replan_reminders).';

GRANT EXECUTE ON FUNCTION scheduling.skip_template_occurrence(
    uuid, date, text, text, timestamptz
) TO sessionkeeper_app;
