-- SECURITY DEFINER: the cron role holds no table privileges; this job is what it may run.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.activate_scheduled_sessions(p_now timestamptz DEFAULT now())
RETURNS TABLE (session_id uuid, title text, visible_from timestamptz, starts_at timestamptz)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
BEGIN
    PERFORM scheduling_internal.check_now('activate_scheduled_sessions', p_now);

    RETURN QUERY
    WITH due AS (
        SELECT s.id
        FROM scheduling.sessions AS s
        WHERE NOT s.is_visible AND s.visible_from <= p_now AND s.deleted_at IS NULL
        FOR UPDATE OF s SKIP LOCKED
    ),

    activated AS (
        UPDATE scheduling.sessions AS s
        SET is_visible = TRUE
        FROM due AS d
        WHERE s.id = d.id
        RETURNING s.id AS activated_id, s.title AS activated_title, s.visible_from AS activated_visible_from,
        s.starts_at AS activated_starts_at
    )

    SELECT a.activated_id, a.activated_title, a.activated_visible_from, a.activated_starts_at
    FROM activated AS a
    ORDER BY a.activated_starts_at, a.activated_id;
END;
$function$;

COMMENT ON FUNCTION scheduling.activate_scheduled_sessions(timestamptz) IS
'What pg_cron runs hourly (job sessionkeeper-activate-sessions): makes visible (is_visible) every not '
'deleted session whose visible_from (the start of its date in its own zone, for generated sessions) has passed, '
'and returns them. Rows locked by another transaction wait for the next run. Does not change status: the '
'lifecycle stays tick''s.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: updates scheduling.sessions (is_visible; the status is not touched, so reminders are not '
'replanned).';

GRANT EXECUTE ON FUNCTION scheduling.activate_scheduled_sessions(timestamptz) TO sessionkeeper_cron;
