CREATE OR REPLACE FUNCTION scheduling_internal.human_duration(p_interval interval)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE
AS $function$
DECLARE
    v_minutes bigint;
    v_days bigint;
    v_hours bigint;
    v_parts text[] := '{}'::text[];
BEGIN
    IF p_interval IS NULL THEN
        RETURN NULL;
    END IF;

    -- Rounded to the nearest minute: a claim at 08:00:03 for 10:00 says "2 hours".
    v_minutes := round(extract(EPOCH FROM p_interval) / 60)::bigint;
    IF v_minutes <= 0 THEN
        RETURN 'less than a minute';
    END IF;

    v_days := v_minutes / 1440;
    v_hours := (v_minutes % 1440) / 60;
    v_minutes := v_minutes % 60;

    IF v_days > 0 THEN
        v_parts := v_parts || format('%s %s', v_days, CASE WHEN v_days = 1 THEN 'day' ELSE 'days' END);
    END IF;
    IF v_hours > 0 THEN
        v_parts := v_parts || format('%s %s', v_hours, CASE WHEN v_hours = 1 THEN 'hour' ELSE 'hours' END);
    END IF;
    IF v_minutes > 0 THEN
        v_parts := v_parts || format('%s %s', v_minutes, CASE WHEN v_minutes = 1 THEN 'minute' ELSE 'minutes' END);
    END IF;

    RETURN array_to_string(v_parts, ' ');
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.human_duration(interval) IS
'A duration as an English phrase rounded to the minute, for the {time_until} placeholder: '
'''2 hours'', ''1 hour 30 minutes'', ''1 day 2 hours''; ''less than a minute'' for under 30 seconds or negative.'
' Side effects: none.';
