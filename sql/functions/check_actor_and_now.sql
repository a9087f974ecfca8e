CREATE OR REPLACE FUNCTION scheduling_internal.check_actor_and_now(p_function text, p_actor text, p_now timestamptz)
RETURNS void
LANGUAGE plpgsql
STABLE
AS $function$
BEGIN
    -- Called first by the action functions, before any row is locked or written (nor a sequence value used).
    PERFORM scheduling_internal.check_now(p_function, p_now);
    PERFORM scheduling_internal.check_text_length(p_function || ': p_actor', p_actor, 'name');
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.check_actor_and_now(text, text, timestamptz) IS
'Internal input check of the action functions (p_function names the caller in the message): SK009 when p_now is '
'NULL or infinite, SK038 when p_now is in the future and simulated time is off (see check_now), SK034 when '
'p_actor is longer than 200 characters.'
' Side effects: none.';
