CREATE OR REPLACE FUNCTION scheduling_internal.local_to_instant(p_local timestamp, p_time_zone text)
RETURNS timestamptz
LANGUAGE sql
STABLE
AS $function$
    -- The offsets in force one day before and one day after (a zone changes its offset at most once in
    -- two days) give at most two candidate instants; keep those that read back as p_local.
    SELECT
        CASE
            WHEN c.before_ok AND c.after_ok THEN least(c.before_at, c.after_at)
            WHEN c.after_ok THEN c.after_at
            ELSE c.before_at
        END
    FROM (
        SELECT
            o.before_at,
            o.after_at,
            (o.before_at AT TIME ZONE p_time_zone) = p_local AS before_ok,
            (o.after_at AT TIME ZONE p_time_zone) = p_local AS after_ok
        FROM (
            SELECT
                (
                    p_local - (
                        ((p_local - INTERVAL '1 day') AT TIME ZONE 'UTC') AT TIME ZONE p_time_zone
                        - (p_local - INTERVAL '1 day')
                    )
                ) AT TIME ZONE 'UTC' AS before_at,
                (
                    p_local - (
                        ((p_local + INTERVAL '1 day') AT TIME ZONE 'UTC') AT TIME ZONE p_time_zone
                        - (p_local + INTERVAL '1 day')
                    )
                ) AT TIME ZONE 'UTC' AS after_at
        ) AS o
    ) AS c
$function$;

COMMENT ON FUNCTION scheduling_internal.local_to_instant(timestamp, text) IS
'The instant at which the wall clock in p_time_zone reads p_local. A local time in a spring-forward gap '
'moves forward by the length of the gap (the offset before the gap is used: 02:30 Europe/Berlin on the '
'last Sunday of March is 03:30 CEST); an ambiguous one in a fall-back overlap takes the first, earlier instant '
'(02:30 CEST, not 02:30 CET). Unlike timestamp AT TIME ZONE, which takes the later instant.'
' Side effects: none.';
