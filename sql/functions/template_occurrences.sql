-- SECURITY DEFINER: apps hold no table privileges; this function is how they change these rows, with its checks.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.template_occurrences(p_template_id uuid, p_from date, p_to date)
RETURNS TABLE (occurrence_date date, starts_at timestamptz, ends_at timestamptz)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
STABLE
AS $function$
DECLARE
    v_template scheduling.session_templates;
BEGIN
    SELECT t.* INTO v_template FROM scheduling.session_templates AS t WHERE t.id = p_template_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK022', MESSAGE = format('recurring template %s not found', coalesce(p_template_id::text, 'NULL'));
    END IF;
    IF p_from IS NULL OR p_to IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'SK009', MESSAGE = 'template_occurrences: p_from and p_to must not be NULL';
    END IF;
    -- Bounded, so that one call cannot ask for millennia of dates (seconds of work per call).
    IF NOT (p_from >= DATE '1900-01-01' AND p_to < DATE '10000-01-01') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK009',
            MESSAGE = format('template_occurrences: %s .. %s is outside the years 1900 to 9999', p_from, p_to);
    END IF;
    IF p_to - p_from > 3661 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK009',
            MESSAGE = format('template_occurrences: %s .. %s spans more than 3661 days', p_from, p_to);
    END IF;

    RETURN QUERY
    SELECT o.occurrence_date, o.starts_at, o.ends_at
    FROM scheduling_internal.occurrences_in_windows(ARRAY[p_template_id], ARRAY[p_from], ARRAY[p_to]) AS o
    ORDER BY o.occurrence_date;
END;
$function$;

COMMENT ON FUNCTION scheduling.template_occurrences(uuid, date, date) IS
'The occurrences of a template whose local date is in [p_from, p_to], computed in wall-clock time in the '
'template''s zone (pure computation: exceptions and existing sessions are not consulted). starts_at is '
'local_start on that date (see local_to_instant: a time in a DST gap moves forward by the gap, an ambiguous one '
'takes the earlier instant); ends_at is starts_at plus the duration as elapsed time. A UTC UNTIL keeps '
'occurrences starting at or before it. Errors: SK022 unknown template, SK009 NULL bounds.'
' SK009 also when the bounds lie outside the years 1900 to 9999 or more than 3661 days apart.'
' Side effects: none.';

GRANT EXECUTE ON FUNCTION scheduling.template_occurrences(uuid, date, date) TO sessionkeeper_app;
