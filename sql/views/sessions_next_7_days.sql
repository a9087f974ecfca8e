CREATE OR REPLACE VIEW scheduling.sessions_next_7_days AS
SELECT
    s.id,
    s.title,
    s.status,
    s.is_visible,
    s.visible_from,
    s.starts_at,
    s.ends_at,
    s.time_zone,
    (s.starts_at AT TIME ZONE s.time_zone)::date AS local_date,
    (s.starts_at AT TIME ZONE s.time_zone) AS starts_at_local,
    (s.ends_at AT TIME ZONE s.time_zone) AS ends_at_local,
    s.capacity,
    s.host_id,
    s.template_id,
    t.title AS template_title,
    s.occurrence_date
FROM scheduling.sessions AS s
LEFT JOIN scheduling.session_templates AS t ON s.template_id = t.id
WHERE
    s.deleted_at IS NULL
    AND s.starts_at >= date_trunc('day', now())
    AND s.starts_at < date_trunc('day', now()) + interval '9 days'
    AND (s.starts_at AT TIME ZONE s.time_zone)::date
    BETWEEN (now() AT TIME ZONE s.time_zone)::date AND (now() AT TIME ZONE s.time_zone)::date + 7
ORDER BY s.starts_at, s.id;

COMMENT ON VIEW scheduling.sessions_next_7_days IS
'Monitoring, the week ahead: live sessions whose local date (in their own zone) is today to today + 7, with '
'their status, visibility and the template they were generated from (NULL for sessions created directly).';

GRANT SELECT ON scheduling.sessions_next_7_days TO sessionkeeper_app;
