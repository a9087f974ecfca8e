CREATE OR REPLACE FUNCTION scheduling_internal.local_day_range(
    p_date date,
    p_starts_at time,
    p_ends_at time,
    p_time_zone text
)
RETURNS tstzrange
LANGUAGE sql
STABLE
AS $function$
    -- date + time is a timestamp without zone, so nothing here reads the caller's TimeZone setting. An end at or
    -- before the start ends the next day (00:00-00:00 is the whole date). Local times in a spring-forward gap move
    -- forward by the gap (local_to_instant), so a range lying wholly inside a gap is empty.
    SELECT
        CASE WHEN i.ends_at > i.starts_at THEN tstzrange(i.starts_at, i.ends_at, '[)') ELSE 'empty'::tstzrange END
    FROM (
        SELECT
            scheduling_internal.local_to_instant(p_date + p_starts_at, p_time_zone) AS starts_at,
            scheduling_internal.local_to_instant(
                p_date + p_ends_at + CASE WHEN p_ends_at <= p_starts_at THEN interval '1 day' ELSE interval '0' END,
                p_time_zone
            ) AS ends_at
    ) AS i;
$function$;

COMMENT ON FUNCTION scheduling_internal.local_day_range(date, time, time, text) IS
'Internal: the real time covered by p_starts_at..p_ends_at on local date p_date in zone p_time_zone; an end at or '
'before the start ends the next day (00:00..00:00 = the whole date: 23, 24 or 25 hours). A time inside a '
'spring-forward gap moves forward by the gap (local_to_instant: 02:30 Europe/Berlin on the last Sunday of March '
'is 03:30 CEST); an ambiguous fall-back time is its first instant. Empty when nothing of the range exists. '
'Independent of the TimeZone setting. No errors.'
' Side effects: none.';
