CREATE OR REPLACE FUNCTION scheduling_internal.host_busy_with(
    p_host_id uuid,
    p_starts_at timestamptz,
    p_ends_at timestamptz,
    p_except_session_id uuid DEFAULT NULL
)
RETURNS scheduling.sessions
LANGUAGE sql
STABLE
AS $function$
    -- The same expression and predicate as the exclusion constraint sessions_host_time_never_overlaps, so that
    -- its index answers.
    SELECT s.*
    FROM scheduling.sessions AS s
    WHERE
        s.host_id = p_host_id
        AND tstzrange(s.starts_at, s.ends_at, '[)') && tstzrange(p_starts_at, p_ends_at, '[)')
        AND s.status IN ('scheduled', 'in_progress', 'completed')
        AND s.id IS DISTINCT FROM p_except_session_id
    ORDER BY s.starts_at, s.id
    LIMIT 1;
$function$;

COMMENT ON FUNCTION scheduling_internal.host_busy_with(uuid, timestamptz, timestamptz, uuid) IS
'The earliest live session (scheduled, in progress or completed) of host p_host_id whose time overlaps '
'[p_starts_at, p_ends_at), other than p_except_session_id; all NULL when the host is free then. A session ending '
'exactly when the other starts does not overlap it.'
' Side effects: none.';
