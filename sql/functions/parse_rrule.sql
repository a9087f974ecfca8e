CREATE OR REPLACE FUNCTION scheduling_internal.parse_rrule(p_rrule text)
RETURNS TABLE (
    freq text,
    rule_interval integer,
    by_day text [],
    by_month_day integer [],
    rule_count integer,
    until_date date,
    until_at timestamptz
)
LANGUAGE plpgsql
IMMUTABLE
AS $function$
DECLARE
    v_part text;
    v_key text;
    v_value text;
    v_item text;
    v_seen text [] := '{}';
    v_number integer;
BEGIN
    freq := NULL;
    rule_interval := 1;
    by_day := '{}';
    by_month_day := '{}';
    rule_count := NULL;
    until_date := NULL;
    until_at := NULL;

    IF p_rrule IS NULL OR btrim(p_rrule) = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'SK023', MESSAGE = 'recurrence rule must not be blank';
    END IF;

    FOREACH v_part IN ARRAY string_to_array(regexp_replace(upper(btrim(p_rrule)), '^RRULE:', ''), ';') LOOP
        v_key := split_part(v_part, '=', 1);
        v_value := substr(v_part, length(v_key) + 2);
        IF v_part NOT LIKE '%=%' OR v_value = '' THEN
            RAISE EXCEPTION USING
                ERRCODE = 'SK023', MESSAGE = format('recurrence rule part %L is not KEY=VALUE', v_part);
        END IF;
        IF v_key = ANY(v_seen) THEN
            RAISE EXCEPTION USING
                ERRCODE = 'SK023', MESSAGE = format('recurrence rule part %s appears twice', v_key);
        END IF;
        v_seen := v_seen || v_key;

        CASE v_key
            WHEN 'FREQ' THEN
                IF v_value NOT IN ('DAILY', 'WEEKLY', 'MONTHLY') THEN
                    RAISE EXCEPTION USING
                        ERRCODE = 'SK023',
                        MESSAGE = format('FREQ=%s is not supported (DAILY, WEEKLY or MONTHLY)', v_value);
                END IF;
                freq := v_value;
            WHEN 'INTERVAL' THEN
                IF v_value !~ '^[0-9]{1,4}$' OR v_value::integer < 1 THEN
                    RAISE EXCEPTION USING
                        ERRCODE = 'SK023',
                        MESSAGE = format('INTERVAL=%s must be a whole number from 1 to 9999', v_value);
                END IF;
                rule_interval := v_value::integer;
            WHEN 'COUNT' THEN
                IF v_value !~ '^[0-9]{1,6}$' OR v_value::integer < 1 THEN
                    RAISE EXCEPTION USING
                        ERRCODE = 'SK023',
                        MESSAGE = format('COUNT=%s must be a whole number from 1 to 999999', v_value);
                END IF;
                rule_count := v_value::integer;
            WHEN 'UNTIL' THEN
                BEGIN
                    IF v_value ~ '^[0-9]{8}$' THEN
                        until_date := to_date(v_value, 'YYYYMMDD');
                        IF to_char(until_date, 'YYYYMMDD') <> v_value THEN
                            RAISE EXCEPTION 'not a date';
                        END IF;
                    ELSIF v_value ~ '^[0-9]{8}T[0-9]{6}Z$' THEN
                        until_at := (
                            to_timestamp(left(v_value, 15), 'YYYYMMDD"T"HH24MISS')::timestamp AT TIME ZONE 'UTC'
                        );
                        IF to_char(until_at AT TIME ZONE 'UTC', 'YYYYMMDD"T"HH24MISS"Z"') <> v_value THEN
                            RAISE EXCEPTION 'not a date-time';
                        END IF;
                    ELSE
                        RAISE EXCEPTION 'bad form';
                    END IF;
                EXCEPTION WHEN OTHERS THEN
                    RAISE EXCEPTION USING
                        ERRCODE = 'SK023',
                        MESSAGE = format('UNTIL=%s must be a date YYYYMMDD or a UTC date-time YYYYMMDDTHHMMSSZ',
                            v_value);
                END;
            WHEN 'BYDAY' THEN
                FOREACH v_item IN ARRAY string_to_array(v_value, ',') LOOP
                    IF v_item !~ '^([+-]?[1-5])?(MO|TU|WE|TH|FR|SA|SU)$' THEN
                        RAISE EXCEPTION USING
                            ERRCODE = 'SK023',
                            MESSAGE = format('BYDAY value %L is not a weekday (MO..SU, optionally 1..5 or -1..-5)',
                                v_item);
                    END IF;
                    by_day := by_day || ltrim(v_item, '+');
                END LOOP;
            WHEN 'BYMONTHDAY' THEN
                FOREACH v_item IN ARRAY string_to_array(v_value, ',') LOOP
                    IF v_item !~ '^[+-]?[0-9]{1,2}$' THEN
                        RAISE EXCEPTION USING
                            ERRCODE = 'SK023', MESSAGE = format('BYMONTHDAY value %L is not a number', v_item);
                    END IF;
                    v_number := v_item::integer;
                    IF v_number = 0 OR abs(v_number) > 31 THEN
                        RAISE EXCEPTION USING
                            ERRCODE = 'SK023',
                            MESSAGE = format('BYMONTHDAY=%s is out of range (1..31 or -31..-1)', v_number);
                    END IF;
                    by_month_day := by_month_day || v_number;
                END LOOP;
            WHEN 'WKST' THEN
                IF v_value <> 'MO' THEN
                    RAISE EXCEPTION USING
                        ERRCODE = 'SK023', MESSAGE = format('WKST=%s is not supported (weeks start on MO)', v_value);
                END IF;
            ELSE
                RAISE EXCEPTION USING
                    ERRCODE = 'SK023',
                    MESSAGE = format('recurrence rule part %L is not supported', v_key),
                    HINT = 'Supported: FREQ, INTERVAL, BYDAY, BYMONTHDAY, COUNT, UNTIL, WKST=MO.';
        END CASE;
    END LOOP;

    IF freq IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'SK023', MESSAGE = 'recurrence rule has no FREQ';
    END IF;
    IF rule_count IS NOT NULL AND (until_date IS NOT NULL OR until_at IS NOT NULL) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK024', MESSAGE = 'recurrence rule has both COUNT and UNTIL (RFC 5545 allows one of them)';
    END IF;
    IF freq <> 'MONTHLY' AND EXISTS (SELECT 1 FROM unnest(by_day) AS d (day_code) WHERE d.day_code ~ '^-?[0-9]') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK023', MESSAGE = format('BYDAY ordinals (such as 2TU) need FREQ=MONTHLY, not %s', freq);
    END IF;
    IF freq = 'WEEKLY' AND cardinality(by_month_day) > 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'SK023', MESSAGE = 'BYMONTHDAY cannot be used with FREQ=WEEKLY';
    END IF;

    RETURN NEXT;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.parse_rrule(text) IS
'Parses and validates an RFC 5545 RRULE of the supported subset (optional RRULE: prefix, case-insensitive): '
'FREQ=DAILY|WEEKLY|MONTHLY (required), INTERVAL (1..9999, default 1), BYDAY (MO..SU; ordinals 1..5 and -1..-5 '
'with MONTHLY only), BYMONTHDAY (1..31, -31..-1; not with WEEKLY), COUNT (1..999999), UNTIL (YYYYMMDD or '
'YYYYMMDDTHHMMSSZ), WKST=MO. Returns one row: freq, rule_interval, by_day, by_month_day, rule_count, until_date, '
'until_at. Errors: SK023 invalid rule (unknown or repeated part, bad value), SK024 both COUNT and UNTIL.'
' Side effects: none.';
