CREATE OR REPLACE FUNCTION scheduling_internal.generation_window(
    p_template scheduling.session_templates,
    p_days_ahead integer,
    p_now timestamptz,
    OUT from_date date,
    OUT to_date date
)
LANGUAGE sql
STABLE
AS $function$
    -- From the template's local today, or the day after its watermark generated_until (dates up to it were
    -- covered by an earlier call), or its first date, to today + p_days_ahead: empty when from_date > to_date.
    SELECT
        greatest(w.today, p_template.first_date, p_template.generated_until + 1),
        w.today + p_days_ahead
    FROM (SELECT (p_now AT TIME ZONE p_template.time_zone)::date AS today) AS w;
$function$;

COMMENT ON FUNCTION scheduling_internal.generation_window(scheduling.session_templates, integer, timestamptz) IS
'Internal (generate_recurring_sessions, occurrences_to_generate): the local dates generation looks at for the '
'template at p_now: from the later of today in its zone, its first date and the day after its watermark '
'generated_until, to today + p_days_ahead (the new watermark). Empty when from_date is after to_date.'
' Side effects: none.';
