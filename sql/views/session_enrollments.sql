CREATE OR REPLACE VIEW scheduling.session_enrollments AS
SELECT
    s.id AS session_id,
    r.workshop_id,
    s.workshop_run_id AS run_id,
    s.day_number,
    s.starts_at,
    b.id AS booking_id,
    NULL::bigint AS waitlist_entry_id,
    p.id AS person_id,
    p.full_name,
    p.phone,
    'confirmed' AS enrollment_status,
    NULL::integer AS waitlist_position,
    b.order_reference,
    b.created_at AS enrolled_at
FROM scheduling.bookings AS b
INNER JOIN scheduling.sessions AS s ON b.session_id = s.id
INNER JOIN scheduling.people AS p ON b.person_id = p.id
LEFT JOIN scheduling.workshop_runs AS r ON s.workshop_run_id = r.id
WHERE b.status = 'confirmed' AND s.deleted_at IS NULL
UNION ALL
SELECT
    s.id AS session_id,
    r.workshop_id,
    s.workshop_run_id AS run_id,
    s.day_number,
    s.starts_at,
    NULL::uuid AS booking_id,
    q.id AS waitlist_entry_id,
    p.id AS person_id,
    p.full_name,
    p.phone,
    'waitlisted' AS enrollment_status,
    (row_number() OVER (PARTITION BY q.session_id ORDER BY q.id))::integer AS waitlist_position,
    q.order_reference,
    q.created_at AS enrolled_at
FROM scheduling.waitlist_entries AS q
INNER JOIN scheduling.sessions AS s ON q.session_id = s.id
INNER JOIN scheduling.people AS p ON q.person_id = p.id
LEFT JOIN scheduling.workshop_runs AS r ON s.workshop_run_id = r.id
WHERE q.status = 'waiting' AND s.deleted_at IS NULL;

COMMENT ON VIEW scheduling.session_enrollments IS
'Attendees by session (enrollments): one row per confirmed booking and per waiting '
'waitlist entry (with its position, 1 = next to get a seat), with the person, order reference and when.';

GRANT SELECT ON scheduling.session_enrollments TO sessionkeeper_app;
