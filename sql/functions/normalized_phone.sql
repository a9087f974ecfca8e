CREATE OR REPLACE FUNCTION scheduling_internal.normalized_phone(p_phone text)
RETURNS text
LANGUAGE sql
IMMUTABLE
AS $function$
    -- Spaces (any white space), dashes, dots and parentheses go; a leading 00 (the international prefix dialled
    -- in most countries) becomes +. Whatever is left is not checked here: people_validate checks the E.164 form.
    SELECT regexp_replace(regexp_replace(p_phone, '[[:space:].()-]', '', 'g'), '^00', '+');
$function$;

COMMENT ON FUNCTION scheduling_internal.normalized_phone(text) IS
'Internal: a phone number as typed, written the E.164 way when it can be: white space, dashes, dots and '
'parentheses removed, a leading 00 replaced by + (''+49 151 1234-5678'' and ''0049 151 12345678'' both give '
'+4915112345678). NULL gives NULL; anything else is returned as it comes out, for people_validate to refuse (SK006).'
' Side effects: none.';
