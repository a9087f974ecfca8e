CREATE OR REPLACE VIEW scheduling.workshops_with_available_sessions AS
SELECT
    w.id AS workshop_id,
    w.title,
    w.host_id,
    w.default_capacity,
    w.time_zone,
    count(s.id)::integer AS available_sessions,
    min(s.starts_at) AS next_starts_at
FROM scheduling.workshops AS w
INNER JOIN scheduling.workshop_runs AS r ON w.id = r.workshop_id AND r.status = 'scheduled'
INNER JOIN scheduling.sessions AS s ON r.id = s.workshop_run_id
WHERE
    w.is_active
    AND s.deleted_at IS NULL
    AND s.status = 'scheduled'
    AND s.starts_at > now()
    -- not full: scheduling_internal.session_is_full's rule, spelled out (a view's reader may not execute that
    -- schema's functions)
    AND (s.capacity = 0 OR s.current_attendees < s.capacity)
GROUP BY w.id;

COMMENT ON VIEW scheduling.workshops_with_available_sessions IS
'Workshops with available sessions: active workshops with at least one session that is '
'scheduled, not started by now() and not full (0 = unlimited); how many and the next start.';

GRANT SELECT ON scheduling.workshops_with_available_sessions TO sessionkeeper_app;
