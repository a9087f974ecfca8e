CREATE OR REPLACE FUNCTION scheduling_internal.erase_text(p_text text, p_name text, p_phone text)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE
AS $function$
DECLARE
    -- What stands for the person in every text kept after erasure, and for their name in people.full_name.
    c_placeholder CONSTANT text := 'erased person';
    v_text text := p_text;
BEGIN
    -- The phone with its + first, then its bare digits (as Meta writes it); replace() with a NULL argument
    -- gives NULL, so a person without a phone leaves the text alone.
    IF p_phone IS NOT NULL THEN
        v_text := replace(replace(v_text, p_phone, c_placeholder), ltrim(p_phone, '+'), c_placeholder);
    END IF;
    IF p_name IS NOT NULL THEN
        v_text := replace(v_text, p_name, c_placeholder);
    END IF;
    RETURN v_text;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.erase_text(text, text, text) IS
'Internal (erase_person): p_text with every occurrence of p_phone (with and without its +) and of p_name '
'(exact, case-sensitive) replaced by ''erased person''; erase_text(name, name, phone) is that placeholder, '
'which erase_person writes as the person''s full_name. NULL text stays NULL.'
' Side effects: none.';
