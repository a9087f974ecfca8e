-- SECURITY DEFINER: the worker holds no table privileges; this is one of the few outbox calls it may make.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.health(
    p_max_heartbeat_age interval DEFAULT '2 minutes',
    p_max_due_age interval DEFAULT '5 minutes',
    p_now timestamptz DEFAULT now()
)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
STABLE
AS $function$
DECLARE
    v_alive integer;
    v_oldest_due timestamptz;
    v_due_age double precision;
    v_failed integer;
    v_problems text[] := '{}'::text[];
    v_halts jsonb;
BEGIN
    IF p_max_heartbeat_age IS NULL OR p_max_heartbeat_age <= interval '0' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK017',
            MESSAGE = format('health: p_max_heartbeat_age must be positive, not %s', p_max_heartbeat_age);
    END IF;
    IF p_max_due_age IS NULL OR p_max_due_age <= interval '0' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK017', MESSAGE = format('health: p_max_due_age must be positive, not %s', p_max_due_age);
    END IF;
    PERFORM scheduling_internal.check_now_given('health', p_now);

    SELECT count(*)::integer
    INTO v_alive
    FROM scheduling.worker_heartbeats AS w
    WHERE w.stopped_at IS NULL AND w.beat_at >= p_now - p_max_heartbeat_age;

    v_oldest_due := scheduling_internal.oldest_due_at(p_now);
    v_due_age := extract(EPOCH FROM p_now - v_oldest_due)::double precision;

    SELECT count(*)::integer
    INTO v_failed
    FROM scheduling.reminders AS r
    WHERE r.state IN ('failed', 'undelivered') AND r.updated_at > p_now - interval '1 hour' AND r.updated_at <= p_now;

    -- Each standing halt is a problem of its own: nothing goes out as that number until a person lifts it.
    SELECT
        coalesce(array_agg(
            format(
                'sending number %s is halted since %s (code %s: %s); fix its credentials, restart the worker, then '
                'run: sessionkeeper resume-sending %s',
                h.sending_number, scheduling_internal.format_local_time(h.halted_at, 'UTC'), h.error_code,
                coalesce(h.error_message, 'no message'), h.sending_number
            ) ORDER BY h.sending_number
        ), '{}'::text[]),
        coalesce(jsonb_agg(
            jsonb_build_object('sending_number', h.sending_number, 'error_code', h.error_code, 'halted_at', h.halted_at)
            ORDER BY h.sending_number
        ), '[]'::jsonb)
    INTO v_problems, v_halts
    FROM scheduling.sender_halts AS h
    WHERE h.lifted_at IS NULL;

    IF v_alive = 0 THEN
        v_problems := v_problems || format('no worker has sent a heartbeat in the last %s', p_max_heartbeat_age);
    END IF;
    IF v_oldest_due < p_now - p_max_due_age THEN
        v_problems := v_problems || format(
            'the oldest due reminder has waited %s s (more than %s)', round(v_due_age::numeric), p_max_due_age
        );
    END IF;

    RETURN jsonb_build_object(
        'ok', cardinality(v_problems) = 0,
        'problems', to_jsonb(v_problems),
        'workers_alive', v_alive,
        'oldest_due_age_seconds', v_due_age,
        'failed_last_hour', v_failed,
        'halted_senders', v_halts
    );
END;
$function$;

COMMENT ON FUNCTION scheduling.health(interval, interval, timestamptz) IS
'For monitors (sessionkeeper healthcheck): {"ok", "problems": [text], "workers_alive", '
'"oldest_due_age_seconds" (NULL when nothing is due), "failed_last_hour", "halted_senders": [{"sending_number", '
'"error_code", "halted_at"}]} at p_now. Not ok when a halt stands for a sending number (sender_halts: one problem '
'each, naming the number, the code, since when and the resume-sending command), when no worker that '
'has not stopped beat within p_max_heartbeat_age, or when the oldest due row (pending and due, or leased with '
'an expired lease) has waited longer than p_max_due_age. failed_last_hour counts rows now failed or '
'undelivered (a final late delivery failure) whose failure (updated_at) lies in the hour up to p_now. Errors: '
'SK017 a threshold not positive, SK009 NULL p_now.'
' Side effects: none.';

GRANT EXECUTE ON FUNCTION scheduling.health(
    interval, interval, timestamptz
) TO sessionkeeper_worker, sessionkeeper_cron;
