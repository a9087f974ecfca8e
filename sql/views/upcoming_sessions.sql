CREATE OR REPLACE VIEW scheduling.upcoming_sessions AS
SELECT
    s.id,
    s.title,
    s.host_id,
    h.full_name AS host_name,
    s.starts_at,
    s.ends_at,
    s.time_zone,
    (s.starts_at AT TIME ZONE s.time_zone) AS starts_at_local,
    (s.ends_at AT TIME ZONE s.time_zone) AS ends_at_local,
    s.start_mode,
    s.capacity,
    s.slot_version,
    s.metadata,
    s.status
FROM scheduling.sessions AS s
INNER JOIN scheduling.people AS h ON s.host_id = h.id
WHERE
    s.status = 'scheduled'
    AND s.starts_at > now()
ORDER BY s.starts_at, s.id;

COMMENT ON VIEW scheduling.upcoming_sessions IS
'Scheduled sessions (status, always scheduled here; deleted ones have status deleted) that start after now(), '
'soonest first, with the host''s name and the slot in the session''s own time zone (starts_at_local, ends_at_local).';

GRANT SELECT ON scheduling.upcoming_sessions TO sessionkeeper_app;
