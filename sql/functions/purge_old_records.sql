-- SECURITY DEFINER: the cron role (the pg_cron job, `tick --loop`) holds no table privileges; this is the one
-- delete of operational records it may run. search_path is fixed so that no schema of the caller can stand in
-- for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.purge_old_records(
    p_older_than interval DEFAULT NULL,
    p_batch integer DEFAULT 10000,
    p_now timestamptz DEFAULT now()
)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    c_max_batch CONSTANT integer := 100000;
    v_age interval;
    v_cutoff timestamptz;
    v_pacing integer;
    v_heartbeats integer;
    v_events integer;
    v_inbound integer;
    v_keys integer;
BEGIN
    PERFORM scheduling_internal.check_now('purge_old_records', p_now);
    IF p_older_than IS NOT NULL THEN
        PERFORM scheduling_internal.check_retention_age('purge_old_records', p_older_than);
    END IF;
    IF p_batch IS NULL OR p_batch < 1 OR p_batch > c_max_batch THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK047',
            MESSAGE = format(
                'purge_old_records: the batch must be from 1 to %s rows, not %s',
                c_max_batch, coalesce(p_batch::text, 'NULL')
            );
    END IF;
    -- The row is written by migration 0027; without it, its default.
    v_age := coalesce(
        p_older_than,
        (SELECT rs.older_than FROM scheduling.retention_settings AS rs WHERE rs.singleton),
        INTERVAL '7 days'
    );
    v_cutoff := p_now - v_age;

    -- Oldest first, at most p_batch rows per table; rows locked by a claim, a heartbeat or a webhook are skipped
    -- and wait for the next call.
    DELETE FROM scheduling.recipient_pacing AS rp
    WHERE rp.person_id IN (
        SELECT o.person_id FROM scheduling.recipient_pacing AS o
        WHERE o.next_allowed_at <= p_now
        ORDER BY o.next_allowed_at
        LIMIT p_batch
        FOR UPDATE SKIP LOCKED
    );
    GET DIAGNOSTICS v_pacing = ROW_COUNT;

    DELETE FROM scheduling.worker_heartbeats AS w
    WHERE w.worker_id IN (
        SELECT o.worker_id FROM scheduling.worker_heartbeats AS o
        WHERE coalesce(o.stopped_at, o.beat_at) < v_cutoff
        ORDER BY coalesce(o.stopped_at, o.beat_at)
        LIMIT p_batch
        FOR UPDATE SKIP LOCKED
    );
    GET DIAGNOSTICS v_heartbeats = ROW_COUNT;

    DELETE FROM scheduling.provider_events AS e
    WHERE e.id IN (
        SELECT o.id FROM scheduling.provider_events AS o
        WHERE o.received_at < v_cutoff
        ORDER BY o.received_at
        LIMIT p_batch
        FOR UPDATE SKIP LOCKED
    );
    GET DIAGNOSTICS v_events = ROW_COUNT;

    DELETE FROM scheduling.inbound_messages AS m
    WHERE m.id IN (
        SELECT o.id FROM scheduling.inbound_messages AS o
        WHERE o.recorded_at < v_cutoff
        ORDER BY o.recorded_at
        LIMIT p_batch
        FOR UPDATE SKIP LOCKED
    );
    GET DIAGNOSTICS v_inbound = ROW_COUNT;

    -- Idempotency keys are remembered 24 hours whatever the age (begin_idempotent_request treats an older key as
    -- new), so they go after 24 hours.
    DELETE FROM scheduling.api_idempotency_keys AS k
    WHERE (k.actor, k.idempotency_key) IN (
        SELECT o.actor, o.idempotency_key FROM scheduling.api_idempotency_keys AS o
        WHERE o.created_at < p_now - INTERVAL '24 hours'
        ORDER BY o.created_at
        LIMIT p_batch
        FOR UPDATE SKIP LOCKED
    );
    GET DIAGNOSTICS v_keys = ROW_COUNT;

    RETURN jsonb_build_object(
        'older_than', v_age::text,
        'recipient_pacing', v_pacing,
        'worker_heartbeats', v_heartbeats,
        'provider_events', v_events,
        'inbound_messages', v_inbound,
        'api_idempotency_keys', v_keys
    );
END;
$function$;

COMMENT ON FUNCTION scheduling.purge_old_records(interval, integer, timestamptz) IS
'What pg_cron runs hourly (job sessionkeeper-purge) and `tick --loop` hourly without pg_cron: deletes operational '
'records nobody needs any more, oldest first. "Old" per table: recipient_pacing rows whose next_allowed_at is '
'at or before p_now (a person without a row may be claimed at once, so such a row says nothing); '
'worker_heartbeats of workers that stopped (stopped_at) or last beat (beat_at) more than the age before p_now '
'(health counts only workers that beat recently, so it is unchanged); provider_events received (received_at, '
'our clock) and inbound_messages recorded (recorded_at, our clock) more than the age before p_now; '
'api_idempotency_keys first used more than 24 hours before p_now (whatever the age: an older key counts as new '
'anyway). The age is '
'p_older_than, or when NULL scheduling.retention_settings.older_than (default 7 days). Archived rows '
'(*_archive) are kept. One call deletes at most p_batch rows from each of the five tables (default 10,000, so '
'at most 50,000 rows; p_batch at most 100,000), in one short transaction, so that a backlog (after the job was '
'off, or a lowered age) is worked off over several runs instead of in one long lock-holding delete; rows '
'locked elsewhere are skipped until the next call. Returns {"older_than", "recipient_pacing", '
'"worker_heartbeats", "provider_events", "inbound_messages", "api_idempotency_keys"}: the age used and the '
'rows deleted from each. '
'Errors: SK046 p_older_than zero or negative; SK047 p_batch NULL, below 1 or above 100,000; SK009 NULL p_now. '
'SK038 when p_now is more than 5 minutes in the future and simulated time is off. Nothing is deleted after an '
'error. Side effects: deletes rows from scheduling.recipient_pacing, worker_heartbeats, provider_events, '
'inbound_messages and api_idempotency_keys.';

GRANT EXECUTE ON FUNCTION scheduling.purge_old_records(interval, integer, timestamptz) TO sessionkeeper_cron;
