CREATE OR REPLACE FUNCTION scheduling_internal.check_time_range(p_what text, p_value timestamptz)
RETURNS void
LANGUAGE plpgsql
STABLE
AS $function$
BEGIN
    -- Python (the CLI, the worker) cannot represent a time after 9999 or an infinite one; nor can a person mean it.
    IF p_value IS NOT NULL AND NOT (p_value >= '1900-01-01 00:00+00' AND p_value < '10000-01-01 00:00+00') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK009',
            MESSAGE = format('%s %s is outside the years 1900 to 9999', p_what, p_value);
    END IF;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.check_time_range(text, timestamptz) IS
'Internal input check: raises SK009 when p_value (a stored time or date) is infinite or outside the years 1900 to '
'9999 (UTC); NULL passes.'
' Side effects: none.';
