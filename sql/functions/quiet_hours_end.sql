CREATE OR REPLACE FUNCTION scheduling_internal.quiet_hours_end(
    p_at timestamptz,
    p_time_zone text,
    p_quiet_start time,
    p_quiet_end time
)
RETURNS timestamptz
LANGUAGE plpgsql
STABLE
AS $function$
DECLARE
    v_local timestamp;
    v_time time;
    v_end_day date;
    v_end timestamptz;
BEGIN
    IF p_at IS NULL OR p_quiet_start IS NULL OR p_quiet_end IS NULL OR p_quiet_start = p_quiet_end THEN
        RETURN NULL;
    END IF;

    v_local := p_at AT TIME ZONE p_time_zone;
    v_time := v_local::time;

    IF p_quiet_start < p_quiet_end THEN
        -- Same day, e.g. 12:00-14:00.
        IF v_time < p_quiet_start OR v_time >= p_quiet_end THEN
            RETURN NULL;
        END IF;
        v_end_day := v_local::date;
    ELSE
        -- Across midnight, e.g. 22:00-07:00.
        IF v_time < p_quiet_start AND v_time >= p_quiet_end THEN
            RETURN NULL;
        END IF;
        v_end_day := CASE WHEN v_time >= p_quiet_start THEN v_local::date + 1 ELSE v_local::date END;
    END IF;

    -- Local wall-clock end converted back with the zone's offset on that day (DST-aware): in a gap, forward by
    -- the gap; in an overlap, the first instant reading the end time, unless that is not after p_at (p_at in
    -- the overlap's second pass), then the second one (which timestamp AT TIME ZONE gives).
    v_end := scheduling_internal.local_to_instant(v_end_day + p_quiet_end, p_time_zone);
    IF v_end <= p_at THEN
        v_end := (v_end_day + p_quiet_end) AT TIME ZONE p_time_zone;
    END IF;
    RETURN v_end;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.quiet_hours_end(timestamptz, text, time, time) IS
'NULL when p_at is outside the quiet hours [p_quiet_start, p_quiet_end) of zone p_time_zone (or no quiet '
'hours: NULL or equal bounds), else the moment they end, as wall-clock time in that zone: a start after the '
'end crosses midnight; the offset of the end day is used, so 07:00 stays 07:00 across a DST change. An end '
'time in a spring-forward gap moves forward by the gap; one in a fall-back overlap is the first instant after '
'p_at at which the wall clock reads it (not an hour later).'
' Side effects: none.';
