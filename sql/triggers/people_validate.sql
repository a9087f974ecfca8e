CREATE OR REPLACE FUNCTION scheduling_internal.people_validate()
RETURNS trigger
LANGUAGE plpgsql
AS $function$
DECLARE
    v_given_phone CONSTANT text := NEW.phone;
    v_other_id uuid;
BEGIN
    IF NEW.full_name IS NULL OR btrim(NEW.full_name) = '' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK009',
            MESSAGE = 'person full_name must not be blank';
    END IF;
    PERFORM
        scheduling_internal.check_text_length('person full_name', NEW.full_name, 'name'),
        scheduling_internal.check_text_length('person phone', NEW.phone, 'name'),
        scheduling_internal.check_text_length('person time_zone', NEW.time_zone, 'name'),
        scheduling_internal.check_text_length('person language', NEW.language, 'name');

    NEW.phone := scheduling_internal.normalized_phone(NEW.phone);
    IF NEW.phone IS NOT NULL AND NEW.phone !~ '^\+[1-9][0-9]{6,14}$' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK006',
            MESSAGE = format('phone %L is not an E.164 number', v_given_phone),
            HINT = 'Write + (or 00) then the country code and number, 7 to 15 digits; spaces, dashes, dots and '
            || 'parentheses are ignored: +34 600 123 456.';
    END IF;

    IF NEW.time_zone IS NULL
        OR NOT EXISTS (SELECT 1 FROM scheduling.time_zones AS tz WHERE tz.name = NEW.time_zone) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK005',
            MESSAGE = format('unknown time zone %L for person', NEW.time_zone),
            HINT = 'Use an IANA time zone name such as Europe/Madrid or America/Sao_Paulo '
                || '(see scheduling.time_zones).';
    END IF;

    IF NEW.language IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM scheduling.languages AS l WHERE l.code = NEW.language) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK050',
            MESSAGE = format('unknown language %L for person', NEW.language),
            HINT = 'Use a code of scheduling.languages such as en, en_US or pt_BR, or NULL for no preference.';
    END IF;

    -- One live person per phone. Writers of one number queue on a transaction lock, so the second of two
    -- concurrent writers (READ COMMITTED) sees the first one's row here; index people_phone_live_key is the backstop.
    IF NEW.phone IS NOT NULL AND NEW.deleted_at IS NULL
        AND (TG_OP = 'INSERT' OR NEW.phone IS DISTINCT FROM OLD.phone OR OLD.deleted_at IS NOT NULL) THEN
        PERFORM pg_advisory_xact_lock(hashtext('scheduling.people.phone'), hashtext(NEW.phone));
        SELECT p.id INTO v_other_id
        FROM scheduling.people AS p
        WHERE p.phone = NEW.phone AND p.deleted_at IS NULL AND p.id <> NEW.id
        LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION USING
                ERRCODE = 'SK049',
                MESSAGE = format('phone %s already belongs to person %s', NEW.phone, v_other_id),
                HINT = 'Use that person, or change or delete theirs first (a deleted person''s phone may be reused).';
        END IF;
    END IF;

    RETURN NEW;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.people_validate() IS
'Trigger function: validates a person before INSERT/UPDATE and writes the phone in E.164 '
'(scheduling_internal.normalized_phone: spaces, dashes, dots and parentheses removed, a leading 00 made +). '
'Raises SK009 (blank full_name), SK034 (full_name, phone, time_zone or language over 200 characters), SK006 '
'(phone not E.164 once normalised), SK005 (time zone not in scheduling.time_zones), SK050 (language not in '
'scheduling.languages), SK049 (another person who is not deleted has that phone; the message names their id).'
' Side effects: none beyond the row itself (phone normalised); takes a transaction-level advisory lock on the '
'phone number while it checks that no other live person has it.';

CREATE OR REPLACE TRIGGER people_validate
BEFORE INSERT OR UPDATE ON scheduling.people
FOR EACH ROW EXECUTE FUNCTION scheduling_internal.people_validate();

COMMENT ON TRIGGER people_validate ON scheduling.people IS
'Validates every written person so that direct writes, scheduling.create_person() and scheduling.update_person() '
'raise the same SQLSTATE.';
