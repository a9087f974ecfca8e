CREATE OR REPLACE FUNCTION scheduling_internal.render_template(p_body text, p_parameters jsonb)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE
AS $function$
DECLARE
    v_text text := p_body;
    v_key text;
    v_value text;
BEGIN
    FOR v_key, v_value IN
        SELECT e.key, e.value
        FROM jsonb_each_text(coalesce(p_parameters, '{}'::jsonb)) AS e (key, value)
    LOOP
        v_text := replace(v_text, '{' || v_key || '}', coalesce(v_value, ''));
    END LOOP;
    RETURN v_text;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.render_template(text, jsonb) IS
'Fills the {named} placeholders of a template body with the values of p_parameters (a JSON object); '
'placeholders without a value stay as they are. Used for the console sender''s rendered_text.'
' Side effects: none.';
