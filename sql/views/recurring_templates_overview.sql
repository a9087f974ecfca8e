CREATE OR REPLACE VIEW scheduling.recurring_templates_overview AS
WITH g AS (
    SELECT
        l.template_id,
        count(*) AS sessions_generated
    FROM scheduling.recurring_session_logs AS l
    WHERE l.action = 'generated'
    GROUP BY l.template_id
),

c AS (
    SELECT
        s.template_id,
        count(*) AS sessions_live,
        min(s.starts_at) AS first_starts_at,
        max(s.starts_at) AS last_starts_at
    FROM scheduling.sessions AS s
    WHERE s.template_id IS NOT NULL AND s.deleted_at IS NULL
    GROUP BY s.template_id
)

SELECT
    t.id,
    t.title,
    t.status,
    t.rrule,
    t.first_date,
    t.local_start,
    t.duration,
    t.time_zone,
    t.capacity,
    t.start_mode,
    t.host_id,
    h.full_name AS host_name,
    t.generated_until,
    n.next_starts_at,
    coalesce(g.sessions_generated, 0) AS sessions_generated,
    coalesce(c.sessions_live, 0) AS sessions_live,
    c.first_starts_at,
    c.last_starts_at
FROM scheduling.session_templates AS t
INNER JOIN scheduling.people AS h ON t.host_id = h.id
LEFT JOIN LATERAL (
    SELECT min(o.starts_at) AS next_starts_at
    FROM
        scheduling.template_occurrences(
            t.id, (now() AT TIME ZONE t.time_zone)::date, (now() AT TIME ZONE t.time_zone)::date + 400
        ) AS o
    WHERE
        t.status = 'active'
        AND o.starts_at > now()
        AND NOT EXISTS (
            SELECT 1
            FROM scheduling.template_exceptions AS e
            WHERE e.template_id = t.id AND e.occurrence_date = o.occurrence_date AND e.kind = 'skipped'
        )
) AS n ON TRUE
LEFT JOIN g ON t.id = g.template_id
LEFT JOIN c ON t.id = c.template_id
ORDER BY t.title, t.id;

COMMENT ON VIEW scheduling.recurring_templates_overview IS
'Recurring templates at a glance: each template with its rule, local start, duration and zone, its next occurrence '
'(active templates, within about 400 days, skipped dates left out), how many sessions it ever generated, and its '
'live (not deleted, not archived) sessions: count, first_starts_at and last_starts_at.';

GRANT SELECT ON scheduling.recurring_templates_overview TO sessionkeeper_app;
