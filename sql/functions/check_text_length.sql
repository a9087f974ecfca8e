CREATE OR REPLACE FUNCTION scheduling_internal.check_text_length(p_what text, p_value text, p_max integer)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
AS $function$
BEGIN
    -- The message names the field and the lengths, never the value: a 1 MB value would make a 1 MB message.
    IF length(p_value) > p_max THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK034',
            MESSAGE = format('%s is too long: %s characters, at most %s', p_what, length(p_value), p_max);
    END IF;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.check_text_length(text, text, integer) IS
'Internal input check: raises SK034 (text too long) when p_value has more than p_max characters; NULL passes. '
'Limits used: names, titles, actors, order references, worker ids, error codes 200; reasons, descriptions, error '
'messages 2000; recurrence rules 500; metadata 10000 (as JSON text).'
' Side effects: none.';
