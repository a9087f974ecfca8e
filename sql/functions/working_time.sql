-- SECURITY DEFINER: apps hold no table privileges; this function is how they read these rows.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.working_time(p_host_id uuid, p_from timestamptz, p_to timestamptz)
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
    PERFORM scheduling_internal.check_slot_window('working_time', p_from, p_to);
    v_time_zone := scheduling_internal.live_host_time_zone(p_host_id);
    RETURN QUERY
    SELECT
        lower(r.r),
        upper(r.r),
        lower(r.r) AT TIME ZONE v_time_zone,
        upper(r.r) AT TIME ZONE v_time_zone,
        v_time_zone
    FROM unnest(scheduling_internal.working_time_of(p_host_id, v_time_zone, p_from, p_to)) AS r (r)
    ORDER BY lower(r.r);
END;
$function$;

COMMENT ON FUNCTION scheduling.working_time(uuid, timestamptz, timestamptz) IS
'The working time of host p_host_id between p_from and p_to, as stretches of real time (each as instants and as '
'local times in the host''s zone, cut at p_from and p_to): (weekly hours - days off - hours off) + extra hours, '
'adjacent ranges merged (Monday 22:00-24:00 and Tuesday 00:00-02:00 are one stretch). Each range is read on its '
'local date, so a 09:00-17:00 day is 7 hours on a spring-forward day and 9 on a fall-back one; a local time in a '
'spring-forward gap moves forward by the gap (02:30 in Europe/Berlin on that Sunday is 03:30 CEST); an ambiguous '
'fall-back time is its first instant. Nothing depends on the caller''s TimeZone. No rows for a host without '
'hours. Errors: SK062 p_from or p_to NULL, p_to not after p_from, window over 366 days; SK009 a time outside 1900 '
'to 9999; SK007 unknown or deleted host.'
' Side effects: none.';

GRANT EXECUTE ON FUNCTION scheduling.working_time(uuid, timestamptz, timestamptz) TO sessionkeeper_app;
