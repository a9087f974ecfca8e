CREATE OR REPLACE FUNCTION scheduling_internal.consent_keyword(p_body text)
RETURNS boolean
LANGUAGE sql
STABLE
AS $function$
    -- bool_and: a word listed as both withdrawing and giving consent withdraws it.
    SELECT bool_and(k.consent)
    FROM scheduling.consent_keywords AS k
    WHERE upper(k.word) = upper(
        regexp_replace(regexp_replace(p_body, '^\s+|[\s[:punct:]]+$', '', 'g'), '\s+', ' ', 'g')
    )
$function$;

COMMENT ON FUNCTION scheduling_internal.consent_keyword(text) IS
'Internal: what a reply body says about WhatsApp consent, by scheduling.consent_keywords (every language): false '
'when it is a word that withdraws consent (STOP, Stopp!, baja), true when it gives it (START), NULL when it is no '
'such word. The body is compared whole, in any case, with leading and trailing spaces and trailing punctuation '
'dropped and runs of spaces folded into one. A word listed with both meanings withdraws.'
' Side effects: none.';
