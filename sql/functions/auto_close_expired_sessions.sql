-- SECURITY DEFINER: the cron role holds no table privileges; this job is what it may run.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.auto_close_expired_sessions(p_now timestamptz DEFAULT now())
RETURNS TABLE (
    session_id uuid,
    from_status scheduling.session_status,
    to_status scheduling.session_status
)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    -- The same pg_advisory_xact_lock key as tick: 0x534B5449434B, "SKTICK" in ASCII.
    c_tick_lock_key CONSTANT bigint := 91583001740107;
    v_moved jsonb;
BEGIN
    PERFORM scheduling_internal.check_now('auto_close_expired_sessions', p_now);

    PERFORM pg_advisory_xact_lock(c_tick_lock_key);

    SELECT coalesce(
        jsonb_agg(
            jsonb_build_object('id', a.session_id, 'from', a.from_status, 'to', a.to_status, 'is_delayed', a.is_delayed)
            ORDER BY a.ord
        ),
        '[]'::jsonb
    )
    INTO v_moved
    FROM scheduling_internal.advance_due_sessions(p_now) WITH ORDINALITY AS a (
        session_id, from_status, to_status, is_delayed, ord
    );

    IF jsonb_array_length(v_moved) > 0 THEN
        PERFORM scheduling_internal.notify_session_status(
            jsonb_build_object(
                'source', 'auto_close',
                'started', (
                    SELECT count(*) FROM jsonb_array_elements(v_moved) AS m (item)
                    WHERE m.item ->> 'from' = 'scheduled' AND NOT (m.item ->> 'is_delayed')::boolean
                ),
                'delayed', (
                    SELECT count(*) FROM jsonb_array_elements(v_moved) AS m (item)
                    WHERE m.item ->> 'from' = 'scheduled' AND (m.item ->> 'is_delayed')::boolean
                ),
                'completed', (
                    SELECT count(*) FROM jsonb_array_elements(v_moved) AS m (item) WHERE m.item ->> 'to' = 'completed'
                ),
                'updates', v_moved,
                'total', jsonb_array_length(v_moved)
            )
        );
    END IF;

    RETURN QUERY
    SELECT (m.item ->> 'id')::uuid, (m.item ->> 'from')::scheduling.session_status,
        (m.item ->> 'to')::scheduling.session_status
    FROM jsonb_array_elements(v_moved) WITH ORDINALITY AS m (item, ord)
    WHERE m.item ->> 'to' = 'completed'
    ORDER BY m.ord;
END;
$function$;

COMMENT ON FUNCTION scheduling.auto_close_expired_sessions(timestamptz) IS
'What pg_cron runs every 5 minutes (job sessionkeeper-close-expired): closes sessions past their end by '
'running the same set-based step as tick (advance_due_sessions) under tick''s advisory lock, so the two never '
'conflict and agree on the lifecycle: automatic sessions whose end passed are completed (with history), '
'host_started ones not delayed complete at their end, delayed ones still wait for complete_session. Like tick '
'it also starts sessions whose start passed, and sends NOTIFY scheduling_session_status (source auto_close). '
'Returns the sessions it completed (session_id, from_status, to_status).'
' SK009 when p_now is NULL or infinite.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: takes tick''s advisory lock; updates scheduling.sessions and inserts session_status_history rows '
'(advance_due_sessions), whose open reminders trigger sessions_replan_reminders expires; NOTIFY '
'scheduling_session_status when a session moved.';

GRANT EXECUTE ON FUNCTION scheduling.auto_close_expired_sessions(timestamptz) TO sessionkeeper_cron;
