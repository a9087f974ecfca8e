CREATE OR REPLACE FUNCTION scheduling_internal.occurrences_to_generate(
    p_template scheduling.session_templates,
    p_days_ahead integer,
    p_now timestamptz
)
RETURNS TABLE (
    occurrence_date date,
    starts_at timestamptz,
    ends_at timestamptz,
    visible_from timestamptz
)
LANGUAGE plpgsql
STABLE
AS $function$
DECLARE
    v_from date;
    v_to date;
BEGIN
    -- The selection of generate_recurring_sessions, shared with preview: the template's occurrences from its
    -- local today (after the watermark) to today + p_days_ahead, not started at p_now, not an exception date.
    SELECT w.from_date, w.to_date
    INTO v_from, v_to
    FROM scheduling_internal.generation_window(p_template, p_days_ahead, p_now) AS w;

    IF v_from <= v_to THEN
        RETURN QUERY
        SELECT
            o.occurrence_date,
            o.starts_at,
            o.ends_at,
            scheduling_internal.local_to_instant(o.occurrence_date::timestamp, p_template.time_zone)
        FROM scheduling.template_occurrences(p_template.id, v_from, v_to) AS o
        WHERE
            o.starts_at > p_now
            AND NOT EXISTS (
                SELECT 1
                FROM scheduling.template_exceptions AS e
                WHERE e.template_id = p_template.id AND e.occurrence_date = o.occurrence_date
            )
        ORDER BY o.occurrence_date;
    END IF;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.occurrences_to_generate(scheduling.session_templates, integer, timestamptz) IS
'Internal (generate_recurring_sessions and preview): the occurrences generation would create for the template at '
'p_now, before the unique key drops those that exist: its dates in generation_window, starting after p_now, '
'not an exception date; with visible_from (the start of the local date). Does not look at the template''s status.'
' Side effects: none.';
