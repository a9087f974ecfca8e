CREATE OR REPLACE FUNCTION scheduling_internal.rrule_dates(
    p_freq text,
    p_interval integer,
    p_by_day text [],
    p_by_month_day integer [],
    p_count integer,
    p_until_date date,
    p_first_date date,
    p_from date,
    p_to date
)
RETURNS TABLE (occurrence_date date)
LANGUAGE plpgsql
IMMUTABLE
AS $function$
DECLARE
    c_day_codes CONSTANT text [] := ARRAY['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];
    v_start date;
    v_end date;
    v_week0 date;
    v_month0 date;
    v_period_from integer;
    v_period_to integer;
    v_plain_days integer [] := '{}';
    v_ordinals integer [] := '{}';
    v_ordinal_days integer [] := '{}';
    v_item text;
BEGIN
    IF p_first_date IS NULL OR p_from IS NULL OR p_to IS NULL THEN
        RETURN;
    END IF;

    -- COUNT counts from the first date, so enumerate from there; otherwise from the window.
    v_start := CASE WHEN p_count IS NULL THEN greatest(p_first_date, p_from) ELSE p_first_date END;
    v_end := least(p_to, p_until_date);
    IF v_end < v_start THEN
        RETURN;
    END IF;

    FOREACH v_item IN ARRAY coalesce(p_by_day, '{}') LOOP
        IF v_item ~ '^-?[0-9]' THEN
            v_ordinals := v_ordinals || substring(v_item FROM '^(-?[0-9]+)')::integer;
            v_ordinal_days := v_ordinal_days || array_position(c_day_codes, right(v_item, 2));
        ELSE
            v_plain_days := v_plain_days || array_position(c_day_codes, v_item);
        END IF;
    END LOOP;

    -- Periods are days, weeks starting on Monday, or months, numbered from the first date's period; every
    -- p_interval-th period is used.
    v_week0 := p_first_date - (extract(ISODOW FROM p_first_date)::integer - 1);
    v_month0 := date_trunc('month', p_first_date)::date;
    IF p_freq = 'DAILY' THEN
        v_period_from := (v_start - p_first_date) / p_interval;
        v_period_to := (v_end - p_first_date) / p_interval;
    ELSIF p_freq = 'WEEKLY' THEN
        v_period_from := ((v_start - v_week0) / 7) / p_interval;
        v_period_to := ((v_end - v_week0) / 7) / p_interval;
    ELSE
        v_period_from := (
            (extract(YEAR FROM v_start)::integer - extract(YEAR FROM v_month0)::integer) * 12
            + extract(MONTH FROM v_start)::integer - extract(MONTH FROM v_month0)::integer
        ) / p_interval;
        v_period_to := (
            (extract(YEAR FROM v_end)::integer - extract(YEAR FROM v_month0)::integer) * 12
            + extract(MONTH FROM v_end)::integer - extract(MONTH FROM v_month0)::integer
        ) / p_interval;
    END IF;

    RETURN QUERY
    WITH periods AS (
        SELECT
            CASE p_freq
                WHEN 'DAILY' THEN p_first_date + k.n * p_interval
                WHEN 'WEEKLY' THEN v_week0 + 7 * k.n * p_interval
                ELSE (v_month0 + make_interval(months => k.n * p_interval))::date
            END AS period_start
        FROM generate_series(v_period_from, v_period_to) AS k (n)
    ),

    days AS (
        SELECT
            p.period_start + g.i AS d,
            extract(DAY FROM p.period_start + g.i)::integer AS dom,
            extract(ISODOW FROM p.period_start + g.i)::integer AS dow,
            extract(
                DAY FROM date_trunc('month', p.period_start + g.i) + INTERVAL '1 month' - INTERVAL '1 day'
            )::integer AS dim
        FROM periods AS p
        CROSS JOIN LATERAL generate_series(
            0,
            CASE p_freq
                WHEN 'DAILY' THEN 0
                WHEN 'WEEKLY' THEN 6
                ELSE extract(
                    DAY FROM p.period_start + INTERVAL '1 month' - INTERVAL '1 day'
                )::integer - 1
            END
        ) AS g (i)
    ),

    matched AS (
        SELECT x.d
        FROM days AS x
        WHERE
            x.d >= p_first_date
            AND (
                cardinality(p_by_month_day) > 0
                OR cardinality(p_by_day) > 0
                OR p_freq = 'DAILY'
                OR (p_freq = 'WEEKLY' AND x.dow = extract(ISODOW FROM p_first_date)::integer)
                OR (p_freq = 'MONTHLY' AND x.dom = extract(DAY FROM p_first_date)::integer)
            )
            AND (
                coalesce(cardinality(p_by_month_day), 0) = 0
                OR x.dom = ANY(p_by_month_day)
                OR x.dom - x.dim - 1 = ANY(p_by_month_day)
            )
            AND (
                coalesce(cardinality(p_by_day), 0) = 0
                OR x.dow = ANY(v_plain_days)
                OR EXISTS (
                    SELECT 1
                    FROM unnest(v_ordinals, v_ordinal_days) AS o (ordinal, dow)
                    WHERE
                        o.dow = x.dow
                        AND (
                            (o.ordinal > 0 AND (x.dom - 1) / 7 + 1 = o.ordinal)
                            OR (o.ordinal < 0 AND (x.dim - x.dom) / 7 + 1 = -o.ordinal)
                        )
                )
            )
    ),

    numbered AS (
        SELECT
            m.d,
            row_number() OVER (ORDER BY m.d) AS n
        FROM matched AS m
    )

    SELECT nb.d
    FROM numbered AS nb
    WHERE
        (p_count IS NULL OR nb.n <= p_count)
        AND nb.d >= p_from
        AND nb.d <= v_end
    ORDER BY nb.d;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.rrule_dates(
    text, integer, text [], integer [], integer, date, date, date, date
) IS
'The local dates in [p_from, p_to] of a parsed recurrence rule (see parse_rrule) whose DTSTART date is '
'p_first_date: every p_interval-th day, Monday-based week or month counted from the first date''s; BYDAY and '
'BYMONTHDAY filter the days of each period (both given: both must match; ordinals count within the month); '
'without them a week uses the first date''s weekday and a month the first date''s day of month (months without '
'that day are skipped). Dates before p_first_date never occur; COUNT counts from p_first_date; UNTIL is '
'inclusive. Pure computation, no time of day.'
' Side effects: none.';
