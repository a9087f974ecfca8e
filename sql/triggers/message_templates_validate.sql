CREATE OR REPLACE FUNCTION scheduling_internal.message_templates_validate()
RETURNS trigger
LANGUAGE plpgsql
AS $function$
DECLARE
    v_missing text;
    v_unused text;
BEGIN
    IF NEW.name IS NULL OR btrim(NEW.name) = '' OR NEW.language IS NULL OR btrim(NEW.language) = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'SK009', MESSAGE = 'message template name and language must not be blank';
    END IF;
    IF NEW.body IS NULL OR btrim(NEW.body) = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'SK009', MESSAGE = format('message template %L has a blank body', NEW.name);
    END IF;
    IF NEW.whatsapp_template_name IS NULL OR btrim(NEW.whatsapp_template_name) = '' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK009', MESSAGE = format('message template %L needs a whatsapp_template_name', NEW.name);
    END IF;

    SELECT string_agg(DISTINCT m.placeholder [1], ', ')
    INTO v_missing
    FROM regexp_matches(NEW.body, '\{([a-z_][a-z0-9_]*)\}', 'g') AS m (placeholder)
    WHERE NOT m.placeholder [1] = ANY(coalesce(NEW.parameter_names, '{}'));

    SELECT string_agg(pn.name, ', ')
    INTO v_unused
    FROM unnest(coalesce(NEW.parameter_names, '{}')) AS pn (name)
    WHERE pn.name IS NULL OR strpos(NEW.body, '{' || pn.name || '}') = 0;

    IF v_missing IS NOT NULL OR v_unused IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK009',
            MESSAGE = format(
                'message template %L: placeholders and parameter_names differ (not listed: %s; not in the body: %s)',
                NEW.name, coalesce(v_missing, '-'), coalesce(v_unused, '-')
            );
    END IF;

    RETURN NEW;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.message_templates_validate() IS
'Trigger function: validates a message template before INSERT/UPDATE: name, language, body and '
'whatsapp_template_name not blank, and every {placeholder} of the body listed once in parameter_names and '
'vice versa (SK009).'
' Side effects: none.';

CREATE OR REPLACE TRIGGER message_templates_validate
BEFORE INSERT OR UPDATE ON scheduling.message_templates
FOR EACH ROW EXECUTE FUNCTION scheduling_internal.message_templates_validate();

COMMENT ON TRIGGER message_templates_validate ON scheduling.message_templates IS
'Validates every written message template.';

CREATE OR REPLACE TRIGGER message_templates_set_updated_at
BEFORE UPDATE ON scheduling.message_templates
FOR EACH ROW EXECUTE FUNCTION scheduling_internal.set_updated_at();

COMMENT ON TRIGGER message_templates_set_updated_at ON scheduling.message_templates IS
'Keeps message_templates.updated_at current.';
