CREATE OR REPLACE FUNCTION scheduling_internal.check_title(p_what text, p_title text)
RETURNS void
LANGUAGE plpgsql
STABLE
AS $function$
BEGIN
    IF p_title IS NULL OR btrim(p_title) = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'SK009', MESSAGE = format('%s title must not be blank', p_what);
    END IF;
    PERFORM scheduling_internal.check_text_length(p_what || ' title', p_title, 'name');
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.check_title(text, text) IS
'Internal input check of a session, template or workshop title (p_what names which in the message): SK009 when it '
'is NULL or blank, SK034 when it is longer than text_limit(''name'').'
' Side effects: none.';
