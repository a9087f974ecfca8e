CREATE OR REPLACE FUNCTION scheduling_internal.text_limit(p_kind text)
RETURNS integer
LANGUAGE plpgsql
IMMUTABLE
AS $function$
BEGIN
    -- The one place the input-length limits are written down; check_text_length and the provider id checks ask here.
    CASE p_kind
        -- one line: a name, title, actor, time zone, policy name, phone, identifier, reference or code
        WHEN 'name' THEN RETURN 200;
        -- free text: a reason, description or error message
        WHEN 'free_text' THEN RETURN 2000;
        -- a recurrence rule (RRULE)
        WHEN 'rrule' THEN RETURN 500;
        -- metadata, measured as JSON text
        WHEN 'metadata' THEN RETURN 10000;
        ELSE
            -- An unknown kind is a mistake in the calling code, not in anyone's input.
            RAISE EXCEPTION USING ERRCODE = 'SK009', MESSAGE = format('text_limit: unknown kind %L', p_kind);
    END CASE;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.text_limit(text) IS
'Internal: the longest text, in characters, accepted for input of kind p_kind: name 200 (names, titles, actors, '
'time zones, policy names, phones, identifiers, references, codes), free_text 2000 (reasons, descriptions, error '
'messages), rrule 500, metadata 10000 (as JSON text). Errors: SK009 an unknown kind or NULL.'
' Side effects: none.';
