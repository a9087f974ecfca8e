CREATE OR REPLACE FUNCTION scheduling_internal.working_time_of(
    p_host_id uuid,
    p_time_zone text,
    p_from timestamptz,
    p_to timestamptz
)
RETURNS tstzmultirange
LANGUAGE sql
STABLE
AS $function$
    -- Every local date that can touch [p_from, p_to): one before (a range crossing midnight) to the last one.
    -- Dates come from an integer series: a series of timestamps would step in the caller's TimeZone.
    WITH days AS (
        SELECT (p_from AT TIME ZONE p_time_zone)::date - 1 + i AS day
        FROM generate_series(0, (p_to AT TIME ZONE p_time_zone)::date - (p_from AT TIME ZONE p_time_zone)::date + 1)
            AS i
    ),

    weekly AS (
        SELECT range_agg(scheduling_internal.local_day_range(d.day, w.starts_at, w.ends_at, p_time_zone)) AS m
        FROM days AS d
        INNER JOIN scheduling.working_hours AS w
            ON w.host_id = p_host_id AND w.day_of_week = extract(ISODOW FROM d.day)
    ),

    changes AS (
        SELECT
            range_agg(scheduling_internal.local_day_range(
                e.on_date, coalesce(e.starts_at, '00:00'), coalesce(e.ends_at, '00:00'), p_time_zone
            )) FILTER (WHERE e.kind IN ('day_off', 'hours_off')) AS off,
            range_agg(scheduling_internal.local_day_range(e.on_date, e.starts_at, e.ends_at, p_time_zone))
                FILTER (WHERE e.kind = 'extra_hours') AS extra
        FROM scheduling.working_hours_exceptions AS e
        WHERE
            e.host_id = p_host_id
            AND e.on_date BETWEEN (SELECT min(d.day) FROM days AS d) AND (SELECT max(d.day) FROM days AS d)
    )

    SELECT
        (
            (coalesce(w.m, '{}') - coalesce(c.off, '{}')) + coalesce(c.extra, '{}')
        ) * tstzmultirange(tstzrange(p_from, p_to, '[)'))
    FROM weekly AS w
    CROSS JOIN changes AS c;
$function$;

COMMENT ON FUNCTION scheduling_internal.working_time_of(uuid, text, timestamptz, timestamptz) IS
'Internal: the working time of host p_host_id (zone p_time_zone) within [p_from, p_to), as real instants: '
'(weekly hours - days off - hours off) + extra hours, each read on its local date in the host''s zone '
'(local_day_range: correct across DST, independent of the TimeZone setting). Empty for a host with no hours. '
'No errors.'
' Side effects: none.';
