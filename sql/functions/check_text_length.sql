CREATE OR REPLACE FUNCTION scheduling_internal.check_text_length(p_what text, p_value text, p_kind text)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
AS $function$
DECLARE
    v_max CONSTANT integer := scheduling_internal.text_limit(p_kind);
BEGIN
    -- The message names the field and the lengths, never the value: a 1 MB value would make a 1 MB message.
    IF length(p_value) > v_max THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK034',
            MESSAGE = format('%s is too long: %s characters, at most %s', p_what, length(p_value), v_max);
    END IF;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.check_text_length(text, text, text) IS
'Internal input check: raises SK034 (text too long) when p_value has more than text_limit(p_kind) characters; '
'NULL passes. Kinds and limits: see scheduling_internal.text_limit.'
' Side effects: none.';
