CREATE OR REPLACE VIEW scheduling.workshop_run_summary AS
SELECT
    r.id AS run_id,
    w.id AS workshop_id,
    w.title AS workshop_title,
    r.run_name,
    r.start_date,
    r.end_date,
    r.status,
    count(s.id)::integer AS session_count,
    count(s.id) FILTER (WHERE s.status = 'cancelled')::integer AS cancelled_sessions,
    CASE WHEN bool_or(s.capacity = 0) THEN NULL ELSE sum(s.capacity)::integer END AS total_seats,
    coalesce(sum(s.current_attendees), 0)::integer AS total_enrollments,
    (
        SELECT count(DISTINCT b.person_id)::integer
        FROM scheduling.bookings AS b
        INNER JOIN scheduling.sessions AS bs ON b.session_id = bs.id
        WHERE bs.workshop_run_id = r.id AND b.status = 'confirmed'
    ) AS distinct_attendees,
    min(s.starts_at) AS first_starts_at,
    max(s.ends_at) AS last_ends_at,
    CASE
        WHEN r.status = 'cancelled' OR (count(s.id) > 0 AND bool_and(s.status = 'cancelled')) THEN 'cancelled'
        WHEN count(s.id) = 0 THEN 'empty'
        WHEN max(s.ends_at) <= now() THEN 'completed'
        WHEN min(s.starts_at) <= now() THEN 'in_progress'
        ELSE 'upcoming'
    END AS calculated_status,
    (
        SELECT count(*)::integer
        FROM scheduling.workshop_run_skipped_days AS k
        WHERE k.run_id = r.id
    ) AS skipped_days
FROM scheduling.workshop_runs AS r
INNER JOIN scheduling.workshops AS w ON r.workshop_id = w.id
LEFT JOIN scheduling.sessions AS s ON r.id = s.workshop_run_id AND s.deleted_at IS NULL
GROUP BY r.id, w.id;

COMMENT ON VIEW scheduling.workshop_run_summary IS
'A summary per workshop run: one row per workshop run with its sessions, cancelled sessions, seats '
'(NULL when a session is unlimited), confirmed enrollments, distinct attendees, first start, last end and '
'calculated_status (cancelled, empty, completed, in_progress, upcoming; by now()), and skipped_days: the days '
'clone_workshop_sessions left out because the host was busy then (scheduling.workshop_run_skipped_days says why).'
' Side effects: none.';

GRANT SELECT ON scheduling.workshop_run_summary TO sessionkeeper_app;
