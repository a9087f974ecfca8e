-- SECURITY DEFINER: the worker holds no table privileges; this is one of the few outbox calls it may make.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.worker_heartbeat(
    p_worker_id text,
    p_sender text,
    p_counts jsonb DEFAULT '{}',
    p_stopped boolean DEFAULT FALSE,
    p_now timestamptz DEFAULT now()
)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    v_bad text;
BEGIN
    PERFORM scheduling_internal.check_now('worker_heartbeat', p_now);
    IF p_worker_id IS NULL OR btrim(p_worker_id) = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'SK009', MESSAGE = 'worker_heartbeat: p_worker_id must not be blank';
    END IF;
    IF p_sender IS NULL OR btrim(p_sender) = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'SK009', MESSAGE = 'worker_heartbeat: p_sender must not be blank';
    END IF;
    PERFORM
        scheduling_internal.check_text_length('worker_heartbeat: p_worker_id', p_worker_id, 'name'),
        scheduling_internal.check_text_length('worker_heartbeat: p_sender', p_sender, 'name');
    IF p_counts IS NULL OR jsonb_typeof(p_counts) <> 'object' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK009',
            MESSAGE = format('worker_heartbeat: p_counts must be a JSON object, not %s', coalesce(p_counts::text, 'NULL'));
    END IF;
    SELECT string_agg(format('%s: %s', k.key, k.value), ', ' ORDER BY k.key)
    INTO v_bad
    FROM jsonb_each(p_counts) AS k
    WHERE
        k.key IN ('sent', 'retried', 'failed', 'released')
        AND (jsonb_typeof(k.value) <> 'number' OR k.value::text !~ '^[0-9]{1,18}$');
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK009',
            MESSAGE = format('worker_heartbeat: counts must be whole numbers, 0 or more (%s)', v_bad);
    END IF;

    INSERT INTO scheduling.worker_heartbeats AS w (
        worker_id, sender, started_at, beat_at, sent, retried, failed, released, stopped_at
    )
    VALUES (
        p_worker_id,
        p_sender,
        p_now,
        p_now,
        (p_counts ->> 'sent')::bigint,
        (p_counts ->> 'retried')::bigint,
        (p_counts ->> 'failed')::bigint,
        (p_counts ->> 'released')::bigint,
        CASE WHEN p_stopped THEN p_now END
    )
    ON CONFLICT (worker_id) DO UPDATE
        SET
            sender = excluded.sender,
            -- A beat after a clean stop is a new run of the same worker id.
            started_at = CASE WHEN w.stopped_at IS NOT NULL THEN excluded.started_at ELSE w.started_at END,
            beat_at = excluded.beat_at,
            sent = excluded.sent,
            retried = excluded.retried,
            failed = excluded.failed,
            released = excluded.released,
            stopped_at = excluded.stopped_at;
END;
$function$;

COMMENT ON FUNCTION scheduling.worker_heartbeat(text, text, jsonb, boolean, timestamptz) IS
'Records that worker p_worker_id (using sender p_sender) is alive at p_now, with its counters since it started '
'({"sent": n, "retried": n, "failed": n, "released": n}; a missing counter is stored as NULL, other keys are '
'ignored). p_stopped = true on a clean exit sets stopped_at, so health stops expecting it; a later beat of the '
'same id starts a new run (started_at = p_now). Errors: SK009 blank worker id or sender, NULL p_now, counts '
'not a JSON object or a counter not a whole number >= 0.'
' Input limits: SK034 p_worker_id or p_sender over 200 characters.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: inserts or updates the worker''s scheduling.worker_heartbeats row.';

GRANT EXECUTE ON FUNCTION scheduling.worker_heartbeat(text, text, jsonb, boolean, timestamptz) TO sessionkeeper_worker;
