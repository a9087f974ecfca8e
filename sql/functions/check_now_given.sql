CREATE OR REPLACE FUNCTION scheduling_internal.check_now_given(p_function text, p_now timestamptz)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
AS $function$
BEGIN
    -- For the functions that only read at p_now (health, seconds_until_*): any time is a fair question, a past
    -- or future one included; only NULL has no answer. Writing functions call check_now instead.
    IF p_now IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'SK009', MESSAGE = format('%s: p_now must not be NULL', p_function);
    END IF;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.check_now_given(text, timestamptz) IS
'Internal input check of the functions that read at p_now without writing (p_function names the caller in the '
'message): SK009 when p_now is NULL. Unlike check_now, an infinite or future p_now passes.'
' Side effects: none.';
