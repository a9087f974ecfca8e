CREATE OR REPLACE FUNCTION scheduling_internal.format_local_time(p_at timestamptz, p_time_zone text)
RETURNS text
LANGUAGE plpgsql
STABLE
AS $function$
BEGIN
    IF p_at IS NULL THEN
        RETURN NULL;
    END IF;
    -- English day and month names whatever lc_time says (no TM prefix), no padding (FM).
    RETURN format(
        '%s (%s)',
        to_char(p_at AT TIME ZONE coalesce(p_time_zone, 'UTC'), 'FMDay FMDD FMMonth YYYY, HH24:MI'),
        coalesce(p_time_zone, 'UTC')
    );
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.format_local_time(timestamptz, text) IS
'A moment as the recipient reads it, in their time zone: ''Monday 23 November 2026, 10:00 (Europe/Berlin)''. '
'NULL zone = UTC.'
' Side effects: none.';
