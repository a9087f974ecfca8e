CREATE OR REPLACE FUNCTION scheduling_internal.check_slot_length(
    p_function text,
    p_duration interval,
    p_step interval
)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
AS $function$
BEGIN
    IF p_duration IS NULL OR extract(EPOCH FROM p_duration) <= 0 OR extract(EPOCH FROM p_duration) > 86400 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK062',
            MESSAGE = format('%s: p_duration %s must be more than zero and at most one day', p_function,
                coalesce(p_duration::text, 'NULL'));
    END IF;
    IF p_step IS NOT NULL AND extract(EPOCH FROM p_step) < 60 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK062',
            MESSAGE = format('%s: p_step %s must be at least one minute (NULL: the duration)', p_function, p_step);
    END IF;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.check_slot_length(text, interval, interval) IS
'Internal input check of free_slots and book_next_available_slot: SK062 when p_duration is NULL, zero, negative '
'or longer than one day (24 hours), or p_step (NULL passes: the duration) is shorter than one minute.'
' Side effects: none.';
