CREATE OR REPLACE VIEW scheduling.working_hours_overview AS
SELECT
    w.host_id,
    p.full_name AS host_name,
    p.time_zone,
    'weekly' AS kind,
    (ARRAY['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'])[w.day_of_week] AS day_of_week,
    NULL::date AS on_date,
    w.starts_at,
    w.ends_at,
    w.ends_at <= w.starts_at AS ends_next_day,
    NULL::bigint AS exception_id,
    NULL::text AS reason
FROM scheduling.working_hours AS w
INNER JOIN scheduling.people AS p ON w.host_id = p.id
WHERE p.deleted_at IS NULL
UNION ALL
SELECT
    e.host_id,
    p.full_name,
    p.time_zone,
    e.kind,
    lower(to_char(e.on_date, 'Dy')) AS day_of_week,
    e.on_date,
    e.starts_at,
    e.ends_at,
    e.ends_at <= e.starts_at AS ends_next_day,
    e.id,
    e.reason
FROM scheduling.working_hours_exceptions AS e
INNER JOIN scheduling.people AS p ON e.host_id = p.id
WHERE p.deleted_at IS NULL
ORDER BY 1, 6 NULLS FIRST, 5, 7;

COMMENT ON VIEW scheduling.working_hours_overview IS
'For apps: each host''s weekly hours (kind weekly, day_of_week mon..sun) and dated exceptions (kind day_off, '
'hours_off, extra_hours, with on_date, exception_id for remove_working_hours_exception, and reason), in the '
'host''s time zone; ends_next_day when a range ends after midnight (a day off has no times). Deleted hosts are '
'left out. Write through set_working_hours, add_working_hours_exception, remove_working_hours_exception.';

GRANT SELECT ON scheduling.working_hours_overview TO sessionkeeper_app;
