CREATE OR REPLACE FUNCTION scheduling_internal.agenda_of(
    p_host_id uuid,
    p_time_zone text,
    p_from timestamptz,
    p_to timestamptz
)
RETURNS TABLE (
    kind text,
    starts_at timestamptz,
    ends_at timestamptz,
    local_starts_at timestamp,
    local_ends_at timestamp,
    session_id uuid,
    title text,
    status text,
    seats_left integer
)
LANGUAGE sql
STABLE
AS $function$
    -- The same expression and predicate as the exclusion constraint sessions_host_time_never_overlaps, so that
    -- its index answers.
    WITH live AS (
        SELECT s.id, s.title, s.status, s.starts_at, s.ends_at, s.capacity, s.current_attendees
        FROM scheduling.sessions AS s
        WHERE
            s.host_id = p_host_id
            AND tstzrange(s.starts_at, s.ends_at, '[)') && tstzrange(p_from, p_to, '[)')
            AND s.status IN ('scheduled', 'in_progress', 'completed')
    ),

    free AS (
        SELECT f.r
        FROM unnest(
            scheduling_internal.working_time_of(p_host_id, p_time_zone, p_from, p_to)
            - coalesce((SELECT range_agg(tstzrange(l.starts_at, l.ends_at, '[)')) FROM live AS l), '{}')
        ) AS f (r)
    ),

    rows AS (
        SELECT
            'session' AS kind,
            l.starts_at,
            l.ends_at,
            l.id AS session_id,
            l.title,
            l.status::text AS status,
            CASE WHEN l.capacity > 0 THEN greatest(l.capacity - l.current_attendees, 0) END AS seats_left
        FROM live AS l
        UNION ALL
        SELECT 'free', lower(f.r), upper(f.r), NULL, NULL, NULL, NULL
        FROM free AS f
    )

    SELECT
        r.kind,
        r.starts_at,
        r.ends_at,
        r.starts_at AT TIME ZONE p_time_zone,
        r.ends_at AT TIME ZONE p_time_zone,
        r.session_id,
        r.title,
        r.status,
        r.seats_left
    FROM rows AS r
    ORDER BY r.starts_at, r.kind DESC, r.session_id;
$function$;

COMMENT ON FUNCTION scheduling_internal.agenda_of(uuid, text, timestamptz, timestamptz) IS
'Internal: the agenda of host p_host_id (zone p_time_zone) in [p_from, p_to): one row per live session '
'overlapping it (kind session: id, title, status, seats left, NULL = unlimited) and per stretch of working time '
'no live session takes (kind free, cut at p_from and p_to), in time order with local times. No errors.'
' Side effects: none.';
