-- SECURITY DEFINER: apps hold no table privileges; this function is how they read these rows.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.host_agenda(p_host_id uuid, p_from timestamptz, p_to timestamptz)
RETURNS TABLE (
    kind text,
    starts_at timestamptz,
    ends_at timestamptz,
    local_starts_at timestamp,
    local_ends_at timestamp,
    time_zone text,
    session_id uuid,
    title text,
    status text,
    seats_left integer
)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    v_time_zone text;
BEGIN
    PERFORM scheduling_internal.check_slot_window('host_agenda', p_from, p_to);
    v_time_zone := scheduling_internal.live_host_time_zone(p_host_id);
    RETURN QUERY
    SELECT
        a.kind, a.starts_at, a.ends_at, a.local_starts_at, a.local_ends_at, v_time_zone, a.session_id, a.title,
        a.status, a.seats_left
    FROM scheduling_internal.agenda_of(p_host_id, v_time_zone, p_from, p_to) AS a;
END;
$function$;

COMMENT ON FUNCTION scheduling.host_agenda(uuid, timestamptz, timestamptz) IS
'A host''s agenda between p_from and p_to, in time order with local times in the host''s zone: one row per live '
'(scheduled, in progress, completed) session of the host overlapping the window (kind ''session'': its id, title, '
'status and seats left, NULL = unlimited) and one per stretch of working time that no live session takes (kind '
'''free'', cut at p_from and p_to; a host without working hours has none). Cancelled, no-show and deleted '
'sessions are not listed: they hold no time. Errors: SK062 p_from or p_to NULL, p_to not after p_from, a window '
'over 366 days; SK009 a time outside 1900 to 9999; SK007 unknown or deleted host.'
' Side effects: none.';

GRANT EXECUTE ON FUNCTION scheduling.host_agenda(uuid, timestamptz, timestamptz) TO sessionkeeper_app;
