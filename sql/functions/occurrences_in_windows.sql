CREATE OR REPLACE FUNCTION scheduling_internal.occurrences_in_windows(
    p_template_ids uuid [],
    p_from_dates date [],
    p_to_dates date []
)
RETURNS TABLE (template_id uuid, occurrence_date date, starts_at timestamptz, ends_at timestamptz)
LANGUAGE sql
STABLE
AS $function$
    -- Templates that share a rule and a window share its dates: the rule is expanded once per distinct (rule,
    -- first date, window), not once per template (MATERIALIZED: else the planner may call it once per joined
    -- template), then every template places its local start on those dates.
    WITH windows AS (
        SELECT
            t.id,
            t.local_start,
            t.time_zone,
            t.duration,
            t.rule_until_at,
            t.rule_freq,
            t.rule_interval,
            t.rule_by_day,
            t.rule_by_month_day,
            t.rule_count,
            t.rule_until_date,
            t.first_date,
            u.from_date,
            u.to_date,
            dense_rank() OVER (
                ORDER BY
                    t.rule_freq, t.rule_interval, t.rule_by_day, t.rule_by_month_day, t.rule_count,
                    t.rule_until_date, t.first_date, u.from_date, u.to_date
            ) AS rule_key
        FROM unnest(p_template_ids, p_from_dates, p_to_dates) AS u (template_id, from_date, to_date)
        INNER JOIN scheduling.session_templates AS t ON t.id = u.template_id
    ),

    dates AS MATERIALIZED (
        SELECT
            r.rule_key,
            d.occurrence_date
        FROM (SELECT DISTINCT ON (w.rule_key) w.* FROM windows AS w ORDER BY w.rule_key) AS r
        CROSS JOIN LATERAL scheduling_internal.rrule_dates(
            r.rule_freq, r.rule_interval, r.rule_by_day, r.rule_by_month_day, r.rule_count, r.rule_until_date,
            r.first_date, r.from_date, r.to_date
        ) AS d
    ),

    placed AS (
        SELECT
            w.id,
            w.duration,
            w.rule_until_at,
            d.occurrence_date,
            scheduling_internal.local_to_instant(d.occurrence_date + w.local_start, w.time_zone) AS at
        FROM windows AS w
        INNER JOIN dates AS d ON d.rule_key = w.rule_key
    )

    SELECT
        p.id,
        p.occurrence_date,
        p.at,
        p.at + extract(EPOCH FROM p.duration) * INTERVAL '1 second'
    FROM placed AS p
    WHERE p.rule_until_at IS NULL OR p.at <= p.rule_until_at;
$function$;

COMMENT ON FUNCTION scheduling_internal.occurrences_in_windows(uuid [], date [], date []) IS
'Internal (template_occurrences, occurrences_to_generate): the occurrences of each template p_template_ids[i] whose '
'local date is in [p_from_dates[i], p_to_dates[i]], in no particular order, computed in wall-clock time in the '
'template''s zone: starts_at is local_start on that date (local_to_instant), ends_at starts_at plus the duration as '
'elapsed time, and a UTC UNTIL keeps occurrences starting at or before it. Each distinct rule and window is '
'expanded once (rrule_dates), however many templates share it. Unknown template ids give no rows; the arrays '
'must be of one length (checked by the callers). Pure computation: exceptions and existing sessions are not '
'consulted.'
' Side effects: none.';
