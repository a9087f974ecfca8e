CREATE OR REPLACE VIEW scheduling.session_availability AS
SELECT
    s.id AS session_id,
    w.id AS workshop_id,
    w.title AS workshop_title,
    r.id AS run_id,
    r.run_name,
    s.day_number,
    s.title,
    s.starts_at,
    s.ends_at,
    s.time_zone,
    (s.starts_at AT TIME ZONE s.time_zone)::date AS local_date,
    s.status::text AS session_status,
    s.capacity,
    s.current_attendees,
    -- scheduling_internal.session_is_full's rule, spelled out: a view's reader may not execute that schema's
    -- functions (pgTAP 047_shared_rules checks the two agree).
    CASE WHEN s.capacity = 0 THEN NULL ELSE greatest(s.capacity - s.current_attendees, 0) END AS seats_left,
    (
        SELECT count(*)::integer
        FROM scheduling.waitlist_entries AS q
        WHERE q.session_id = s.id AND q.status = 'waiting'
    ) AS waitlisted,
    CASE
        WHEN s.status = 'cancelled' THEN 'cancelled'
        WHEN s.status IN ('completed', 'no_show') OR s.ends_at <= now() THEN 'completed'
        WHEN s.capacity > 0 AND s.current_attendees >= s.capacity THEN 'full'
        WHEN s.current_attendees > 0 THEN 'active'
        ELSE 'upcoming'
    END AS calculated_status
FROM scheduling.sessions AS s
LEFT JOIN scheduling.workshop_runs AS r ON s.workshop_run_id = r.id
LEFT JOIN scheduling.workshops AS w ON r.workshop_id = w.id
WHERE s.deleted_at IS NULL;

COMMENT ON VIEW scheduling.session_availability IS
'Availability per session: every session that is not deleted, with its workshop, run and day number, local_date '
'(of its start, in its own zone), '
'capacity (0 = unlimited), current_attendees (confirmed bookings), seats_left (NULL = unlimited), people '
'waiting, and calculated_status: cancelled; completed (completed, no-show, or ended by now()); full (at '
'capacity, never when unlimited); active (some attendees); upcoming (none).';

GRANT SELECT ON scheduling.session_availability TO sessionkeeper_app;
