CREATE OR REPLACE FUNCTION scheduling_internal.oldest_due_at(p_now timestamptz)
RETURNS timestamptz
LANGUAGE sql
STABLE
AS $function$
    -- Two index probes (the partial indexes on pending and on leased rows), never a scan of the outbox.
    SELECT min(d.at)
    FROM (
        SELECT min(r.next_attempt_at) AS at -- noqa: RF04
        FROM scheduling.reminders AS r
        WHERE r.state = 'pending' AND r.next_attempt_at <= p_now
        UNION ALL
        SELECT min(r.lease_expires_at)
        FROM scheduling.reminders AS r
        WHERE r.state = 'leased' AND r.lease_expires_at <= p_now
    ) AS d;
$function$;

COMMENT ON FUNCTION scheduling_internal.oldest_due_at(timestamptz) IS
'Internal (health, metrics_snapshot): when the oldest reminder due at p_now fell due: a pending row''s '
'next_attempt_at, or a leased row''s expired lease_expires_at (as queue_stats.oldest_due_age counts it); NULL when '
'nothing is due.'
' Side effects: none.';
