CREATE OR REPLACE FUNCTION scheduling_internal.session_steps(
    p_from scheduling.session_status,
    p_to scheduling.session_status,
    p_is_delayed boolean,
    p_starts_at timestamptz,
    p_ends_at timestamptz
)
RETURNS TABLE (
    step integer,
    from_status scheduling.session_status,
    to_status scheduling.session_status,
    is_delayed boolean,
    happens_at timestamptz,
    detail text
)
LANGUAGE sql
STABLE
AS $function$
    -- One row per history step of a move session_step_due decided: two when a scheduled session goes straight
    -- to completed. STABLE, not IMMUTABLE: the detail prints times in the session's TimeZone setting.
    SELECT st.step, st.step_from, st.step_to, st.step_is_delayed, st.step_at, st.step_detail
    FROM (
        VALUES
        (
            1,
            p_from,
            (CASE WHEN p_from = 'scheduled' THEN 'in_progress' ELSE 'completed' END)::scheduling.session_status,
            p_from = 'scheduled' AND p_is_delayed,
            CASE WHEN p_from = 'scheduled' THEN p_starts_at ELSE p_ends_at END,
            CASE
                WHEN p_from = 'in_progress' THEN format('completed at ends_at %s', p_ends_at)
                WHEN p_is_delayed THEN format('delayed: not started by the host by starts_at %s', p_starts_at)
                ELSE format('started at starts_at %s', p_starts_at)
            END
        ),
        (
            2,
            'in_progress'::scheduling.session_status,
            'completed'::scheduling.session_status,
            FALSE,
            p_ends_at,
            format('completed at ends_at %s (whole slot passed before a tick)', p_ends_at)
        )
    ) AS st (step, step_from, step_to, step_is_delayed, step_at, step_detail)
    WHERE st.step = 1 OR (p_from = 'scheduled' AND p_to = 'completed')
    ORDER BY st.step;
$function$;

COMMENT ON FUNCTION scheduling_internal.session_steps(
    scheduling.session_status, scheduling.session_status, boolean, timestamptz, timestamptz
) IS
'Internal (advance_due_sessions and preview): the history steps of one tick move from p_from to p_to, in order, '
'each with its from and to status, is_delayed, the time it happens (starts_at or ends_at) and the history '
'detail. A scheduled session going straight to completed gives two steps (scheduled -> in_progress -> '
'completed); every other move one.'
' Side effects: none.';
