CREATE OR REPLACE FUNCTION scheduling_internal.instant_at_offset_of(
    p_local timestamp,
    p_time_zone text,
    p_probe timestamp
)
RETURNS timestamptz
LANGUAGE sql
IMMUTABLE
AS $function$
    -- One expression without FROM: the planner inlines it into its caller.
    SELECT (p_local - (((p_probe AT TIME ZONE 'UTC') AT TIME ZONE p_time_zone) - p_probe)) AT TIME ZONE 'UTC';
$function$;

COMMENT ON FUNCTION scheduling_internal.instant_at_offset_of(timestamp, text, timestamp) IS
'Internal (local_to_instant): the instant at which the wall clock in p_time_zone would read p_local if the zone''s '
'UTC offset were the one in force at the UTC time p_probe.'
' Side effects: none.';
