-- SECURITY DEFINER: apps hold no table privileges; this function is how they read these rows.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.free_slots(
    p_host_id uuid,
    p_from timestamptz,
    p_to timestamptz,
    p_duration interval,
    p_step interval DEFAULT NULL,
    p_now timestamptz DEFAULT now()
)
RETURNS TABLE (
    starts_at timestamptz,
    ends_at timestamptz,
    local_starts_at timestamp,
    local_ends_at timestamp,
    time_zone text
)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    v_time_zone text;
BEGIN
    PERFORM scheduling_internal.check_now('free_slots', p_now);
    PERFORM scheduling_internal.check_slot_window('free_slots', p_from, p_to);
    PERFORM scheduling_internal.check_slot_length('free_slots', p_duration, p_step);
    v_time_zone := scheduling_internal.live_host_time_zone(p_host_id);
    RETURN QUERY
    SELECT f.starts_at, f.ends_at, f.starts_at AT TIME ZONE v_time_zone, f.ends_at AT TIME ZONE v_time_zone, v_time_zone
    FROM scheduling_internal.find_free_slots(p_host_id, v_time_zone, p_from, p_to, p_duration, p_step, p_now) AS f;
END;
$function$;

COMMENT ON FUNCTION scheduling.free_slots(uuid, timestamptz, timestamptz, interval, interval, timestamptz) IS
'Every bookable slot of p_duration of host p_host_id lying within [p_from, p_to) and inside the host''s working '
'time (scheduling.working_time), overlapping no live (scheduled, in progress, completed) session of the host and '
'starting at or after p_now; in time order, as instants and as local times in the host''s zone. The grid: slots '
'start at the start of each stretch of working time + k * p_step (NULL: p_duration), so with 09:00-12:00, one '
'hour and a step of 30 minutes: 09:00, 09:30, ..., 11:00. A slot ending exactly when a session starts is free; '
'cancelled, no-show and deleted sessions hold no time. A host with no working hours has no free slots. Errors: '
'SK062 p_duration NULL, zero, negative or over one day, p_step under one minute, p_from or p_to NULL, p_to not '
'after p_from, a window over 366 days; SK009 a time outside 1900 to 9999 or p_now NULL; SK007 unknown or deleted '
'host.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: none.';

GRANT EXECUTE ON FUNCTION scheduling.free_slots(uuid, timestamptz, timestamptz, interval, interval, timestamptz)
TO sessionkeeper_app;
