-- SECURITY DEFINER: the worker holds no table privileges; this is one of the few outbox calls it may make.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.seconds_until_next_reminder(p_now timestamptz DEFAULT now())
RETURNS double precision
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
STABLE
AS $function$
DECLARE
    v_next timestamptz;
BEGIN
    PERFORM scheduling_internal.check_now_given('seconds_until_next_reminder', p_now);

    -- Something due now whose recipient is not paced: a claim would find it (index range scans, stops at the
    -- first hit).
    IF EXISTS (
        SELECT 1
        FROM scheduling.reminders AS r
        WHERE
            r.state = 'pending' AND r.next_attempt_at <= p_now
            AND NOT EXISTS (
                SELECT 1 FROM scheduling.recipient_pacing AS rp
                WHERE rp.person_id = r.person_id AND rp.next_allowed_at > p_now
            )
    ) OR EXISTS (
        SELECT 1
        FROM scheduling.reminders AS r
        WHERE
            r.state = 'leased' AND r.lease_expires_at <= p_now
            AND NOT EXISTS (
                SELECT 1 FROM scheduling.recipient_pacing AS rp
                WHERE rp.person_id = r.person_id AND rp.next_allowed_at > p_now
            )
    ) THEN
        RETURN 0;
    END IF;

    -- Otherwise the earliest of: a due row's pacing end, the first pending row due later, the first lease to
    -- expire (min() over the partial indexes reminders_pending_due_idx and reminders_leased_idx).
    SELECT min(w.at)
    INTO v_next
    FROM (
        SELECT min(rp.next_allowed_at) AS at -- noqa: RF04
        FROM scheduling.reminders AS r
        INNER JOIN scheduling.recipient_pacing AS rp ON r.person_id = rp.person_id
        WHERE
            (r.state = 'pending' AND r.next_attempt_at <= p_now)
            OR (r.state = 'leased' AND r.lease_expires_at <= p_now)
        UNION ALL
        SELECT min(r.next_attempt_at)
        FROM scheduling.reminders AS r
        WHERE r.state = 'pending' AND r.next_attempt_at > p_now
        UNION ALL
        SELECT min(r.lease_expires_at)
        FROM scheduling.reminders AS r
        WHERE r.state = 'leased' AND r.lease_expires_at > p_now
    ) AS w;

    IF v_next IS NULL THEN
        RETURN NULL; -- nothing pending or leased
    END IF;
    RETURN greatest(extract(EPOCH FROM v_next - p_now), 0)::double precision;
END;
$function$;

COMMENT ON FUNCTION scheduling.seconds_until_next_reminder(timestamptz) IS
'For the worker''s idle sleep: seconds from p_now until the earliest time a claim could find a row, i.e. the '
'earliest of pending next_attempt_at and leased lease_expires_at, where a row that is due but whose recipient '
'is paced (recipient_pacing) counts at its next_allowed_at. 0 when something is claimable now, NULL when '
'nothing is pending or leased. A row due later whose recipient will then still be paced counts at its due '
'time (an early wake-up, never a late one). Uses the partial indexes on pending and leased rows. Errors: SK009 '
'NULL p_now.'
' Side effects: none.';

GRANT EXECUTE ON FUNCTION scheduling.seconds_until_next_reminder(timestamptz) TO sessionkeeper_worker;
