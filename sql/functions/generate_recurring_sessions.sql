-- SECURITY DEFINER: apps hold no table privileges; this function is how they change these rows, with its checks.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.generate_recurring_sessions(
    p_template_id uuid,
    p_days_ahead integer DEFAULT 30,
    p_now timestamptz DEFAULT now()
)
RETURNS TABLE (session_id uuid, occurrence_date date, starts_at timestamptz)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    v_template scheduling.session_templates;
BEGIN
    PERFORM scheduling_internal.check_now('generate_recurring_sessions', p_now);
    IF p_days_ahead IS NULL OR p_days_ahead < 0 OR p_days_ahead > 3660 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK009',
            MESSAGE = format('generate_recurring_sessions: p_days_ahead must be 0 to 3660, not %s', p_days_ahead);
    END IF;

    -- SK022 for an unknown template; the row lock serialises concurrent generations of one template.
    v_template := scheduling_internal.lock_template_for_action(p_template_id, 'generate sessions of');
    IF v_template.status <> 'active' THEN
        RETURN;
    END IF;

    -- The rules (host time, a template overlapping itself, logs, watermark) are those of the set-based pass.
    RETURN QUERY
    SELECT g.gen_session_id, g.gen_occurrence_date, g.gen_starts_at
    FROM scheduling_internal.generate_templates(ARRAY[v_template.id], p_days_ahead, p_now) AS g
    ORDER BY g.gen_occurrence_date;
END;
$function$;

COMMENT ON FUNCTION scheduling.generate_recurring_sessions(uuid, integer, timestamptz) IS
'Creates the sessions of an active template for the local dates from today to today + p_days_ahead in the '
'template''s zone (occurrences already started at p_now are not created) and returns them. Idempotent: '
'sessions(template_id, occurrence_date) is unique, dates up to the watermark generated_until are not looked at '
'again, and exception dates (skipped, moved) are never generated. Each session inherits host, title, capacity, '
'start mode, reminder policy and metadata, is visible from the start of its local date (visible_from), and gets '
'a creation history row (NULL -> scheduled, reason automatic) and a recurring_session_logs row. An '
'occurrence whose host already has a live session then (or that overlaps the template''s previous occurrence) is '
'not created: it is logged as host_busy, naming the session that holds the time, and not tried again. A paused or '
'ended template generates nothing. Errors: SK022 unknown template, SK009 p_days_ahead outside 0..3660 or NULL '
'p_now.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: inserts scheduling.sessions with their session_status_history rows (reason automatic) and '
'recurring_session_logs rows (generated, host_busy); takes the host''s time lock to the end of the '
'transaction; updates session_templates.generated_until.';

GRANT EXECUTE ON FUNCTION scheduling.generate_recurring_sessions(uuid, integer, timestamptz) TO sessionkeeper_app;
