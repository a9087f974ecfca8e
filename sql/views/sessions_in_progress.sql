CREATE OR REPLACE VIEW scheduling.sessions_in_progress AS
SELECT
    s.id,
    s.title,
    s.host_id,
    h.full_name AS host_name,
    s.starts_at,
    s.ends_at,
    s.time_zone,
    s.start_mode,
    s.started_at,
    s.is_delayed,
    CASE
        WHEN s.is_delayed THEN 'delayed: needs manual completion'
        WHEN s.ends_at <= now() THEN 'ended: completes at the next tick'
        ELSE 'on time'
    END AS state
FROM scheduling.sessions AS s
INNER JOIN scheduling.people AS h ON s.host_id = h.id
WHERE
    s.status = 'in_progress'
    AND s.deleted_at IS NULL
ORDER BY s.starts_at, s.id;

COMMENT ON VIEW scheduling.sessions_in_progress IS
'Not deleted in_progress sessions with is_delayed and a readable state: ''on time'', ''delayed: needs manual '
'completion'' (host_started session nobody started; waits for complete_session) or ''ended: completes at '
'the next tick''.';

GRANT SELECT ON scheduling.sessions_in_progress TO sessionkeeper_app;
