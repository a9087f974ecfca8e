CREATE OR REPLACE VIEW scheduling.recurring_generation_log AS
SELECT
    l.id,
    l.happened_at,
    l.action,
    l.template_id,
    t.title AS template_title,
    l.session_id,
    l.occurrence_date,
    s.title AS session_title,
    s.starts_at AS session_starts_at,
    s.status AS session_status,
    s.deleted_at AS session_deleted_at,
    l.detail,
    l.actor,
    l.recorded_at
FROM scheduling.recurring_session_logs AS l
INNER JOIN scheduling.session_templates AS t ON l.template_id = t.id
LEFT JOIN scheduling.sessions AS s ON l.session_id = s.id
ORDER BY l.id DESC;

COMMENT ON VIEW scheduling.recurring_generation_log IS
'The recurring generation log, newest first: each generated, removed, kept, skipped session and each failed '
'generation, with the template''s title and the session as it is now (NULL once archived).';

GRANT SELECT ON scheduling.recurring_generation_log TO sessionkeeper_app;
