CREATE OR REPLACE FUNCTION scheduling_internal.occurrences_to_generate(
    p_template_ids uuid [],
    p_days_ahead integer,
    p_now timestamptz
)
RETURNS TABLE (
    template_id uuid,
    occurrence_date date,
    starts_at timestamptz,
    ends_at timestamptz,
    visible_from timestamptz
)
LANGUAGE sql
STABLE
AS $function$
    -- The selection of generate_recurring_sessions, shared with preview: each template's occurrences from its
    -- local today (after the watermark) to today + p_days_ahead, not started at p_now, not an exception date; all
    -- templates in one set (occurrences_in_windows expands each distinct rule and window once).
    SELECT
        o.template_id,
        o.occurrence_date,
        o.starts_at,
        o.ends_at,
        scheduling_internal.local_to_instant(o.occurrence_date::timestamp, t.time_zone)
    FROM (
        SELECT
            array_agg(t.id) AS ids,
            array_agg(w.from_date) AS from_dates,
            array_agg(w.to_date) AS to_dates
        FROM scheduling.session_templates AS t
        CROSS JOIN LATERAL scheduling_internal.generation_window(t, p_days_ahead, p_now) AS w
        WHERE t.id = ANY(p_template_ids) AND w.from_date <= w.to_date
    ) AS g
    CROSS JOIN LATERAL scheduling_internal.occurrences_in_windows(g.ids, g.from_dates, g.to_dates) AS o
    INNER JOIN scheduling.session_templates AS t ON t.id = o.template_id
    WHERE
        o.starts_at > p_now
        AND NOT EXISTS (
            SELECT 1
            FROM scheduling.template_exceptions AS e
            WHERE e.template_id = o.template_id AND e.occurrence_date = o.occurrence_date
        );
$function$;

COMMENT ON FUNCTION scheduling_internal.occurrences_to_generate(uuid [], integer, timestamptz) IS
'Internal (generate_templates and preview): the occurrences generation would create for the templates '
'p_template_ids at p_now, before the unique key drops those that exist, in no particular order: for each, its '
'dates in generation_window, starting after p_now, not an exception date; with visible_from (the start of the '
'local date). Does not look at the templates'' status; unknown ids give no rows.'
' Side effects: none.';
