CREATE OR REPLACE FUNCTION scheduling_internal.quiet_hours_end_known(
    p_known jsonb,
    p_at timestamptz,
    p_time_zone text,
    p_quiet_start time,
    p_quiet_end time
)
RETURNS timestamptz
LANGUAGE sql
STABLE
AS $function$
    SELECT CASE
        WHEN p_known ? format('%s %s %s', p_quiet_start, p_quiet_end, p_time_zone)
            THEN (p_known ->> format('%s %s %s', p_quiet_start, p_quiet_end, p_time_zone))::timestamptz
        ELSE scheduling_internal.quiet_hours_end(p_at, p_time_zone, p_quiet_start, p_quiet_end)
    END;
$function$;

COMMENT ON FUNCTION scheduling_internal.quiet_hours_end_known(jsonb, timestamptz, text, time, time) IS
'Internal helper of claim_due_reminders: quiet_hours_end(p_at, p_time_zone, p_quiet_start, p_quiet_end), read from '
'p_known when it holds the answer (keys ''{quiet_start} {quiet_end} {time zone}'', values the end or JSON null, '
'computed once per pair of quiet hours and time zone for a whole claim at the same p_at), else computed. No errors '
'of its own (those of quiet_hours_end).'
' Side effects: none.';
