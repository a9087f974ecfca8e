CREATE OR REPLACE FUNCTION scheduling_internal.people_validate()
RETURNS trigger
LANGUAGE plpgsql
AS $function$
BEGIN
    IF NEW.full_name IS NULL OR btrim(NEW.full_name) = '' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK009',
            MESSAGE = 'person full_name must not be blank';
    END IF;
    PERFORM
        scheduling_internal.check_text_length('person full_name', NEW.full_name, 'name'),
        scheduling_internal.check_text_length('person phone', NEW.phone, 'name'),
        scheduling_internal.check_text_length('person time_zone', NEW.time_zone, 'name');

    IF NEW.phone IS NOT NULL AND NEW.phone !~ '^\+[1-9][0-9]{6,14}$' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK006',
            MESSAGE = format('phone %L is not an E.164 number', NEW.phone),
            HINT = 'Write + then the country code and number, digits only, 7 to 15 digits: +34600123456.';
    END IF;

    IF NEW.time_zone IS NULL
        OR NOT EXISTS (SELECT 1 FROM scheduling.time_zones AS tz WHERE tz.name = NEW.time_zone) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK005',
            MESSAGE = format('unknown time zone %L for person', NEW.time_zone),
            HINT = 'Use an IANA time zone name such as Europe/Madrid or America/Sao_Paulo '
                || '(see scheduling.time_zones).';
    END IF;

    RETURN NEW;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.people_validate() IS
'Trigger function: validates a person before INSERT/UPDATE. Raises SK009 (blank full_name), SK034 (full_name, '
'phone or time_zone over 200 characters), SK006 (phone not E.164), SK005 (time zone not in scheduling.time_zones).'
' Side effects: none.';

CREATE OR REPLACE TRIGGER people_validate
BEFORE INSERT OR UPDATE ON scheduling.people
FOR EACH ROW EXECUTE FUNCTION scheduling_internal.people_validate();

COMMENT ON TRIGGER people_validate ON scheduling.people IS
'Validates every written person so that direct writes and scheduling.create_person() raise the same SQLSTATE.';
