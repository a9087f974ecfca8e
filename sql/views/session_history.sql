CREATE OR REPLACE VIEW scheduling.session_history AS
SELECT
    hst.id,
    hst.session_id,
    s.title AS session_title,
    hst.from_status,
    hst.to_status,
    hst.is_delayed,
    hst.reason,
    hst.detail,
    hst.actor,
    hst.slot_version,
    hst.happened_at,
    hst.recorded_at,
    hst.action
FROM scheduling.session_status_history AS hst
INNER JOIN scheduling.sessions AS s ON hst.session_id = s.id
ORDER BY hst.id;

COMMENT ON VIEW scheduling.session_history IS
'Every status change, skipped and failed step of every session (deleted ones included: their deletion reads '
'old status -> deleted), with the session title and action, what happened in one word (created, started, delayed, '
'completed, cancelled, no_show, rescheduled, deleted, skipped, failed); in the order the rows were written (id).';

GRANT SELECT ON scheduling.session_history TO sessionkeeper_app;
