CREATE OR REPLACE FUNCTION scheduling_internal.reminder_policies_validate()
RETURNS trigger
LANGUAGE plpgsql
AS $function$
DECLARE
    v_bad interval;
    v_template text;
BEGIN
    IF NEW.name IS NULL OR btrim(NEW.name) = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'SK009', MESSAGE = 'reminder policy name must not be blank';
    END IF;

    IF NEW.offsets IS NULL THEN
        NEW.offsets := '{}';
    END IF;
    SELECT o.offset_value
    INTO v_bad
    FROM unnest(NEW.offsets) AS o (offset_value)
    WHERE o.offset_value IS NULL OR o.offset_value <= interval '0'
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK017',
            MESSAGE = format('reminder policy %L: offset %s is not a positive interval', NEW.name, v_bad),
            HINT = 'Offsets are how long before the start, e.g. ''1 hour''.';
    END IF;

    IF NEW.repeat_every IS NOT NULL AND NEW.repeat_every < interval '1 minute' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK017',
            MESSAGE = format(
                'reminder policy %L: repeat_every %s must be at least 1 minute', NEW.name, NEW.repeat_every
            );
    END IF;

    IF NEW.min_lead IS NULL OR NEW.min_lead < interval '0' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK043',
            MESSAGE = format(
                'reminder policy %L: min_lead %s must be zero or more', NEW.name, coalesce(NEW.min_lead::text, 'NULL')
            ),
            HINT = 'min_lead is the least time left before the start for a late reminder to go out at once, '
            || 'e.g. ''10 minutes''.';
    END IF;

    IF (NEW.quiet_start IS NULL) <> (NEW.quiet_end IS NULL) OR NEW.quiet_start = NEW.quiet_end THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK009',
            MESSAGE = format(
                'reminder policy %L: quiet hours need a start and a different end (%s - %s)',
                NEW.name, NEW.quiet_start, NEW.quiet_end
            );
    END IF;

    FOREACH v_template IN ARRAY ARRAY[NEW.reminder_template, NEW.cancellation_template] LOOP
        IF v_template IS NULL OR NOT EXISTS (
            SELECT 1
            FROM scheduling.message_templates AS t
            WHERE t.name = v_template AND t.language = NEW.language
        ) THEN
            RAISE EXCEPTION USING
                ERRCODE = 'SK015',
                MESSAGE = format(
                    'reminder policy %L: unknown message template %L (language %L)', NEW.name, v_template, NEW.language
                ),
                HINT = 'See scheduling.message_templates.';
        END IF;
    END LOOP;

    RETURN NEW;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.reminder_policies_validate() IS
'Trigger function: validates a reminder policy before INSERT/UPDATE. SK017: an offset not positive, or '
'repeat_every under 1 minute (zero, negative). SK043: min_lead negative or NULL. SK015: reminder or '
'cancellation template unknown in the policy''s language. SK009: blank name, quiet hours with one bound or '
'equal bounds.'
' Side effects: none beyond the row itself (NULL offsets become an empty array).';

CREATE OR REPLACE TRIGGER reminder_policies_validate
BEFORE INSERT OR UPDATE ON scheduling.reminder_policies
FOR EACH ROW EXECUTE FUNCTION scheduling_internal.reminder_policies_validate();

COMMENT ON TRIGGER reminder_policies_validate ON scheduling.reminder_policies IS
'Validates every written reminder policy.';

CREATE OR REPLACE TRIGGER reminder_policies_set_updated_at
BEFORE UPDATE ON scheduling.reminder_policies
FOR EACH ROW EXECUTE FUNCTION scheduling_internal.set_updated_at();

COMMENT ON TRIGGER reminder_policies_set_updated_at ON scheduling.reminder_policies IS
'Keeps reminder_policies.updated_at current.';
