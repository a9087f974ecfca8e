CREATE OR REPLACE VIEW scheduling.people_overview AS
SELECT
    p.id,
    p.full_name,
    p.time_zone,
    p.language,
    p.whatsapp_consent,
    -- Written out here, not in a helper: the app role may execute nothing of scheduling_internal.
    CASE
        WHEN p.phone IS NOT NULL THEN '+' || repeat('•', greatest(length(p.phone) - 5, 0)) || right(p.phone, 4)
    END AS phone_masked,
    p.created_at,
    p.updated_at,
    p.deleted_at
FROM scheduling.people AS p
ORDER BY p.created_at, p.id;

COMMENT ON VIEW scheduling.people_overview IS
'Every person, deleted ones too (deleted_at set), for apps, which may not read scheduling.people: id, full_name, '
'time_zone, language (NULL = the reminder policy''s), whatsapp_consent, phone_masked (+ then a dot for each hidden '
'digit and the last 4 digits: +•••••••••5678; NULL without a phone), created_at, updated_at, deleted_at.';

GRANT SELECT ON scheduling.people_overview TO sessionkeeper_app;
