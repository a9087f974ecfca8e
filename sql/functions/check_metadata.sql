CREATE OR REPLACE FUNCTION scheduling_internal.check_metadata(p_what text, p_metadata jsonb)
RETURNS void
LANGUAGE plpgsql
STABLE
AS $function$
BEGIN
    IF p_metadata IS NULL OR jsonb_typeof(p_metadata) <> 'object' THEN
        RAISE EXCEPTION USING ERRCODE = 'SK009', MESSAGE = format('%s metadata must be a JSON object', p_what);
    END IF;
    PERFORM scheduling_internal.check_text_length(p_what || ' metadata', p_metadata::text, 'metadata');
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.check_metadata(text, jsonb) IS
'Internal input check of the metadata of a session or template (p_what names which in the message): SK009 unless '
'it is a JSON object, SK034 when its JSON text is longer than text_limit(''metadata'').'
' Side effects: none.';
