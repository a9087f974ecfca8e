CREATE OR REPLACE FUNCTION scheduling_internal.message_templates_validate()
RETURNS trigger
LANGUAGE plpgsql
AS $function$
DECLARE
    v_missing text;
    v_unused text;
    v_twice text;
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

    IF NOT EXISTS (SELECT 1 FROM scheduling.languages AS l WHERE l.code = NEW.language) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK050',
            MESSAGE = format('message template %L: unknown language %L', NEW.name, NEW.language),
            HINT = 'The codes are in scheduling.languages (en, en_US, pt_BR, ...).';
    END IF;

    -- The body's {placeholders} and parameter_names must be the same names, each listed once.
    SELECT string_agg(DISTINCT m.placeholder [1], ', ' ORDER BY m.placeholder [1])
    INTO v_missing
    FROM regexp_matches(NEW.body, '\{([a-z_][a-z0-9_]*)\}', 'g') AS m (placeholder)
    WHERE NOT m.placeholder [1] = ANY(coalesce(NEW.parameter_names, '{}'));

    SELECT string_agg(pn.name, ', ' ORDER BY pn.ord)
    INTO v_unused
    FROM unnest(coalesce(NEW.parameter_names, '{}')) WITH ORDINALITY AS pn (name, ord)
    WHERE pn.name IS NULL OR strpos(NEW.body, '{' || pn.name || '}') = 0;

    SELECT string_agg(d.name, ', ' ORDER BY d.name)
    INTO v_twice
    FROM (
        SELECT pn.name
        FROM unnest(coalesce(NEW.parameter_names, '{}')) AS pn (name)
        GROUP BY pn.name
        HAVING count(*) > 1
    ) AS d;

    IF v_missing IS NOT NULL OR v_unused IS NOT NULL OR v_twice IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK056',
            MESSAGE = format(
                'message template %L: placeholders and parameter_names differ (not listed: %s; not in the body: %s;'
                ' listed twice: %s)',
                NEW.name, coalesce(v_missing, '-'), coalesce(v_unused, '-'), coalesce(v_twice, '-')
            ),
            HINT = 'List every {placeholder} of the body once in parameter_names, in the order of the approved '
            || 'template''s parameters {{1}}, {{2}}, ...';
    END IF;

    RETURN NEW;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.message_templates_validate() IS
'Trigger function: validates a message template before INSERT/UPDATE: name, language, body and '
'whatsapp_template_name not blank (SK009), language a code of scheduling.languages (SK050), and every '
'{placeholder} of the body listed once in parameter_names and vice versa (SK056 names the placeholders not '
'listed, the names not in the body and the names listed twice). The same rules hold for a direct INSERT and for '
'scheduling.upsert_message_template.'
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
