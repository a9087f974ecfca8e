CREATE OR REPLACE FUNCTION scheduling_internal.check_slot_window(p_function text, p_from timestamptz, p_to timestamptz)
RETURNS void
LANGUAGE plpgsql
STABLE
AS $function$
BEGIN
    IF p_from IS NULL OR p_to IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'SK062', MESSAGE = format('%s: p_from and p_to are required', p_function);
    END IF;
    PERFORM scheduling_internal.check_time_range(p_function || ': p_from', p_from);
    PERFORM scheduling_internal.check_time_range(p_function || ': p_to', p_to);
    IF p_to <= p_from THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK062',
            MESSAGE = format('%s: p_to (%s) must be after p_from (%s)', p_function, p_to, p_from);
    END IF;
    -- 366 days of 24 hours: an interval in days would be added in the caller's TimeZone.
    IF p_to > p_from + interval '8784 hours' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK062',
            MESSAGE = format('%s: the window %s .. %s is longer than 366 days', p_function, p_from, p_to),
            HINT = 'Ask for one part of it at a time.';
    END IF;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.check_slot_window(text, timestamptz, timestamptz) IS
'Internal input check of the functions reading a host''s time between two instants: SK062 when p_from or p_to is '
'NULL, p_to is not after p_from, or the window is longer than 366 days (of 24 hours); SK009 a time outside the '
'years 1900 to 9999.'
' Side effects: none.';
