-- SECURITY DEFINER: the dashboard may run as sessionkeeper_app, which reads no outbox table directly; this lets it
-- read counts by hour and nothing else. search_path is fixed so that no schema of the caller can stand in for
-- pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.reminder_activity_by_hour(
    p_from timestamptz,
    p_to timestamptz
)
RETURNS TABLE (
    hour_start timestamptz,
    sends integer,
    failures integer,
    mean_lag_seconds double precision,
    max_lag_seconds double precision
)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
STABLE
AS $function$
DECLARE
    c_max_span CONSTANT interval := '31 days';
BEGIN
    IF p_from IS NULL OR p_to IS NULL OR NOT isfinite(p_from) OR NOT isfinite(p_to) OR p_from >= p_to THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK071',
            MESSAGE = format(
                'reminder_activity_by_hour: p_from must be a finite time before p_to, not %s to %s',
                coalesce(p_from::text, 'NULL'), coalesce(p_to::text, 'NULL')
            );
    END IF;
    IF p_to - p_from > c_max_span THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK072',
            MESSAGE = format(
                'reminder_activity_by_hour: at most %s at a time, not %s to %s', c_max_span, p_from, p_to
            );
    END IF;

    RETURN QUERY
    WITH hours AS (
        SELECT g.hour_start
        FROM generate_series(
            date_trunc('hour', p_from, 'UTC'), p_to - interval '1 microsecond', interval '1 hour'
        ) AS g (hour_start)
    ),

    outcomes AS (
        SELECT
            date_trunc('hour', h.happened_at, 'UTC') AS hour_start,
            h.to_state,
            CASE WHEN h.to_state = 'sent' THEN extract(EPOCH FROM h.happened_at - r.due_at) END AS lag_seconds
        FROM scheduling.reminder_state_history AS h
        LEFT JOIN scheduling.reminders AS r ON h.reminder_id = r.id
        WHERE
            h.to_state IN ('sent', 'failed')
            AND h.happened_at >= p_from
            AND h.happened_at < p_to
    )

    SELECT
        hs.hour_start,
        (count(o.to_state) FILTER (WHERE o.to_state = 'sent'))::integer,
        (count(o.to_state) FILTER (WHERE o.to_state = 'failed'))::integer,
        (avg(greatest(o.lag_seconds, 0)) FILTER (WHERE o.lag_seconds IS NOT NULL))::double precision,
        (max(greatest(o.lag_seconds, 0)) FILTER (WHERE o.lag_seconds IS NOT NULL))::double precision
    FROM hours AS hs
    LEFT JOIN outcomes AS o ON hs.hour_start = o.hour_start
    GROUP BY hs.hour_start
    ORDER BY hs.hour_start;
END;
$function$;

COMMENT ON FUNCTION scheduling.reminder_activity_by_hour(timestamptz, timestamptz) IS
'The outbox''s work per hour (UTC hours) from p_from up to p_to, one row per hour even when nothing happened: sends '
'(changes to sent), failures (changes to failed) and the lag of the sends (from the row''s due time to the send; '
'mean and max in seconds, NULL in an hour without sends; a row sent before its due time counts as 0), read from '
'reminder_state_history (archived sessions'' rows are not counted). The first hour is the one p_from falls in. '
'Feeds the dashboard''s chart (`sessionkeeper serve`). Errors: SK071 p_from or p_to NULL, not finite, or p_from '
'not before p_to; SK072 more than 31 days asked for at once.'
' Side effects: none.';

GRANT EXECUTE ON FUNCTION scheduling.reminder_activity_by_hour(timestamptz, timestamptz) TO sessionkeeper_app;
