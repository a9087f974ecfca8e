CREATE OR REPLACE FUNCTION scheduling_internal.find_free_slots(
    p_host_id uuid,
    p_time_zone text,
    p_from timestamptz,
    p_to timestamptz,
    p_duration interval,
    p_step interval,
    p_now timestamptz
)
RETURNS TABLE (starts_at timestamptz, ends_at timestamptz)
LANGUAGE sql
STABLE
AS $function$
    -- Durations in seconds: an interval of days added to a timestamptz would follow the caller's TimeZone.
    WITH lengths AS (
        SELECT
            extract(EPOCH FROM p_duration)::double precision AS duration_s,
            extract(EPOCH FROM coalesce(p_step, p_duration))::double precision AS step_s,
            greatest(p_from, p_now) AS earliest
    ),

    -- The grid's anchors: each stretch of working time, seen from one day before p_from.
    stretches AS (
        SELECT lower(w.r) AS anchor, upper(w.r) AS stop
        FROM unnest(
            scheduling_internal.working_time_of(p_host_id, p_time_zone, p_from - interval '24 hours', p_to)
        ) AS w (r)
    ),

    -- The same expression and predicate as the exclusion constraint sessions_host_time_never_overlaps, so that
    -- its index answers.
    busy AS (
        SELECT coalesce(range_agg(tstzrange(s.starts_at, s.ends_at, '[)')), '{}'::tstzmultirange) AS m
        FROM scheduling.sessions AS s
        WHERE
            s.host_id = p_host_id
            AND tstzrange(s.starts_at, s.ends_at, '[)') && tstzrange(p_from, p_to, '[)')
            AND s.status IN ('scheduled', 'in_progress', 'completed')
    ),

    candidates AS (
        SELECT st.anchor + (k.k * l.step_s) * interval '1 second' AS starts_at
        FROM stretches AS st
        CROSS JOIN lengths AS l
        CROSS JOIN LATERAL generate_series(
            greatest(0, ceil(extract(EPOCH FROM l.earliest - st.anchor)::double precision / l.step_s))::bigint,
            floor(
                (extract(EPOCH FROM least(st.stop, p_to) - st.anchor)::double precision - l.duration_s) / l.step_s
            )::bigint
        ) AS k (k)
    )

    SELECT c.starts_at, c.starts_at + l.duration_s * interval '1 second'
    FROM candidates AS c
    CROSS JOIN lengths AS l
    CROSS JOIN busy AS b
    WHERE NOT b.m && tstzrange(c.starts_at, c.starts_at + l.duration_s * interval '1 second', '[)')
    ORDER BY c.starts_at;
$function$;

COMMENT ON FUNCTION scheduling_internal.find_free_slots(
    uuid, text, timestamptz, timestamptz, interval, interval, timestamptz
) IS
'Internal, inputs already checked: the bookable slots of p_duration of host p_host_id (zone p_time_zone) in '
'[p_from, p_to), starting at or after p_now, in time order. The grid: a slot starts at the start of a stretch of '
'working time + k * p_step (NULL: p_duration), k = 0, 1, ...; the slot lies wholly inside that stretch and '
'overlaps no live session of the host (one ending exactly at a session''s start is free). A stretch that began '
'more than a day before p_from is anchored one day before p_from. No errors.'
' Side effects: none.';
