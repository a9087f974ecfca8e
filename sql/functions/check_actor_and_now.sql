CREATE OR REPLACE FUNCTION scheduling.check_actor_and_now(p_function text, p_actor text, p_now timestamptz)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
AS $function$
BEGIN
    -- Called first by the action functions, before any row is locked or written (nor a sequence value used).
    IF p_now IS NULL OR NOT isfinite(p_now) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK009',
            MESSAGE = format('%s: p_now must be a finite time, not %s', p_function, coalesce(p_now::text, 'NULL'));
    END IF;
    PERFORM scheduling.check_text_length(p_function || ': p_actor', p_actor, 200);
END;
$function$;

COMMENT ON FUNCTION scheduling.check_actor_and_now(text, text, timestamptz) IS
'Internal input check of the action functions (p_function names the caller in the message): SK009 when p_now is '
'NULL or infinite, SK034 when p_actor is longer than 200 characters.';
