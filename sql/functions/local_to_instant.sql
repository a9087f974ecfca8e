CREATE OR REPLACE FUNCTION scheduling_internal.local_to_instant(p_local timestamp, p_time_zone text)
RETURNS timestamptz
LANGUAGE sql
STABLE
AS $function$
    -- The offsets in force one day before and one day after (a zone changes its offset at most once in two days)
    -- give at most two candidate instants; keep those that read back as p_local, the earlier if both. One
    -- expression without FROM, so that the planner inlines it into the query that calls it (no call per row).
    SELECT CASE
        WHEN scheduling_internal.instant_at_offset_of(p_local, p_time_zone, p_local - INTERVAL '1 day')
            AT TIME ZONE p_time_zone = p_local
            AND (
                scheduling_internal.instant_at_offset_of(p_local, p_time_zone, p_local + INTERVAL '1 day')
                AT TIME ZONE p_time_zone <> p_local
                OR scheduling_internal.instant_at_offset_of(p_local, p_time_zone, p_local - INTERVAL '1 day')
                <= scheduling_internal.instant_at_offset_of(p_local, p_time_zone, p_local + INTERVAL '1 day')
            )
            THEN scheduling_internal.instant_at_offset_of(p_local, p_time_zone, p_local - INTERVAL '1 day')
        WHEN scheduling_internal.instant_at_offset_of(p_local, p_time_zone, p_local + INTERVAL '1 day')
            AT TIME ZONE p_time_zone = p_local
            THEN scheduling_internal.instant_at_offset_of(p_local, p_time_zone, p_local + INTERVAL '1 day')
        ELSE scheduling_internal.instant_at_offset_of(p_local, p_time_zone, p_local - INTERVAL '1 day')
    END;
$function$;

COMMENT ON FUNCTION scheduling_internal.local_to_instant(timestamp, text) IS
'The instant at which the wall clock in p_time_zone reads p_local. A local time in a spring-forward gap '
'moves forward by the length of the gap (the offset before the gap is used: 02:30 Europe/Berlin on the '
'last Sunday of March is 03:30 CEST); an ambiguous one in a fall-back overlap takes the first, earlier instant '
'(02:30 CEST, not 02:30 CET). Unlike timestamp AT TIME ZONE, which takes the later instant.'
' Side effects: none.';
