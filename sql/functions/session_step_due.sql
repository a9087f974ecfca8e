CREATE OR REPLACE FUNCTION scheduling_internal.session_step_due(
    p_status scheduling.session_status,
    p_start_mode scheduling.session_start_mode,
    p_is_delayed boolean,
    p_starts_at timestamptz,
    p_ends_at timestamptz,
    p_now timestamptz
)
RETURNS TABLE (next_status scheduling.session_status, next_is_delayed boolean)
LANGUAGE sql
IMMUTABLE
ROWS 1
AS $function$
    -- The one place that decides what tick does to a session at p_now; one row of NULLs when nothing is due. A
    -- table function of one SELECT, so that the planner inlines it into the query that calls it in FROM (no call
    -- per row).
    SELECT
        CASE
            WHEN p_status = 'scheduled' AND p_starts_at <= p_now THEN
                CASE
                    WHEN p_start_mode = 'host_started' THEN 'in_progress'
                    WHEN p_ends_at <= p_now THEN 'completed'
                    ELSE 'in_progress'
                END
            WHEN p_status = 'in_progress' AND NOT p_is_delayed AND p_ends_at <= p_now THEN 'completed'
        END::scheduling.session_status,
        CASE
            WHEN p_status = 'scheduled' AND p_starts_at <= p_now THEN p_start_mode = 'host_started'
            WHEN p_status = 'in_progress' AND NOT p_is_delayed AND p_ends_at <= p_now THEN FALSE
        END;
$function$;

COMMENT ON FUNCTION scheduling_internal.session_step_due(
    scheduling.session_status, scheduling.session_start_mode, boolean, timestamptz, timestamptz, timestamptz
) IS
'Internal rule of tick (used by advance_due_sessions and preview): the status and is_delayed a session of this '
'status, start mode and slot moves to at p_now (one row), or NULLs when nothing is due. scheduled -> in_progress once '
'starts_at passed (is_delayed for host_started mode); automatic sessions whose ends_at passed too go straight to '
'completed; in_progress, not delayed -> completed once ends_at passed. A deleted session (status deleted) has '
'nothing due. The new started_at or delayed_since is the caller''s to set (advance_due_sessions).'
' Side effects: none.';
