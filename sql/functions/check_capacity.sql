CREATE OR REPLACE FUNCTION scheduling_internal.check_capacity(p_what text, p_capacity integer)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
AS $function$
BEGIN
    IF p_capacity IS NULL OR p_capacity < 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK009',
            MESSAGE = format('%s capacity must be 0 (unlimited) or more, not %s', p_what, p_capacity);
    END IF;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.check_capacity(text, integer) IS
'Internal input check of the seats of a session, template or workshop (p_what names which in the message): SK009 '
'when NULL or negative; 0 means unlimited.'
' Side effects: none.';
