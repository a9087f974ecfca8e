CREATE OR REPLACE VIEW scheduling.host_agenda_next_7_days AS
SELECT
    p.id AS host_id,
    p.full_name AS host_name,
    a.time_zone,
    a.kind,
    a.starts_at,
    a.ends_at,
    a.local_starts_at,
    a.local_ends_at,
    a.session_id,
    a.title,
    a.status,
    a.seats_left
FROM scheduling.people AS p
-- The public function, not the internal one: a view runs the functions it calls with the reader's privileges.
CROSS JOIN LATERAL scheduling.host_agenda(p.id, now(), now() + interval '168 hours') AS a
WHERE
    p.deleted_at IS NULL
    AND EXISTS (
        SELECT FROM scheduling.working_hours AS w
        WHERE w.host_id = p.id
    )
ORDER BY p.id ASC, a.starts_at ASC, a.kind DESC;

COMMENT ON VIEW scheduling.host_agenda_next_7_days IS
'For apps: scheduling.host_agenda of every host with weekly working hours, from now to 168 hours ahead: live '
'sessions and free stretches of working time, with local times in the host''s zone.';

GRANT SELECT ON scheduling.host_agenda_next_7_days TO sessionkeeper_app;
