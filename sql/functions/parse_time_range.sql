CREATE OR REPLACE FUNCTION scheduling_internal.parse_time_range(
    p_what text,
    p_text text,
    OUT starts_at time,
    OUT ends_at time
)
LANGUAGE plpgsql
IMMUTABLE
AS $function$
DECLARE
    v_parts text[];
BEGIN
    -- 'HH:MM-HH:MM', 24-hour clock; 24:00 only as an end (= midnight, stored as 00:00).
    v_parts := regexp_match(
        coalesce(p_text, ''), '^(([01][0-9]|2[0-3]):[0-5][0-9])-(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$'
    );
    IF v_parts IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK060',
            MESSAGE = format('%s: %s is not a range of times like ''09:00-17:00''', p_what,
                coalesce(quote_literal(left(p_text, 40)), 'NULL')),
            HINT = 'HH:MM-HH:MM on the 24-hour clock; an end at or before the start ends the next day '
            '(''22:00-02:00''); 24:00 may end a range.';
    END IF;
    starts_at := v_parts[1]::time;
    ends_at := CASE WHEN v_parts[3] = '24:00' THEN '00:00'::time ELSE v_parts[3]::time END;
    IF v_parts[1] = v_parts[3] THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK060',
            MESSAGE = format('%s: %L starts and ends at the same time', p_what, p_text),
            HINT = 'A whole day is ''00:00-24:00''.';
    END IF;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.parse_time_range(text, text) IS
'Internal: reads ''HH:MM-HH:MM'' (24-hour clock; an end at or before the start ends the next day; 24:00 as an end '
'is midnight, returned as 00:00, so ''00:00-24:00'' is 00:00..00:00, the whole day) into two times. Errors: '
'SK060 anything else (p_what names the entry), or a range '
'that starts and ends at the same time.'
' Side effects: none.';
