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
        WHEN s.is_delayed THEN 'delayed: needs a late start or a manual completion'
        WHEN s.ends_at <= now() THEN 'ended: completes at the next tick'
        WHEN s.delayed_since IS NOT NULL THEN 'started late'
        ELSE 'on time'
    END AS state,
    s.delayed_since
FROM scheduling.sessions AS s
INNER JOIN scheduling.people AS h ON s.host_id = h.id
WHERE s.status = 'in_progress'
ORDER BY s.starts_at, s.id;

COMMENT ON VIEW scheduling.sessions_in_progress IS
'In-progress sessions with is_delayed, started_at (NULL while a delayed one has not been started), delayed_since '
'and a readable state: ''on time'', ''started late'' (delayed, then started by start_session), ''delayed: needs a '
'late start or a manual completion'' (host_started session nobody started; waits for start_session or '
'complete_session) or ''ended: completes at the next tick''.';

GRANT SELECT ON scheduling.sessions_in_progress TO sessionkeeper_app;
