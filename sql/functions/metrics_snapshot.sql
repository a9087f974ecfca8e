-- SECURITY DEFINER: the worker holds no table privileges; it reads these figures for its Prometheus /metrics.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.metrics_snapshot(p_now timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
STABLE
AS $function$
DECLARE
    v_queue jsonb;
    v_oldest_due timestamptz;
    v_transitions jsonb;
    v_halted jsonb;
    v_jobids bigint[];
    v_cron_failed integer;
    v_jobs regclass;
    v_runs regclass;
BEGIN
    PERFORM scheduling_internal.check_now_given('metrics_snapshot', p_now);

    -- Open rows only, each count read off a partial index (closed rows are the worker's send counters).
    SELECT jsonb_build_object(
        'waiting', (
            SELECT count(*) FROM scheduling.reminders AS r
            WHERE r.state = 'pending' AND r.next_attempt_at <= p_now
        ),
        'delayed', (
            SELECT count(*) FROM scheduling.reminders AS r
            WHERE r.state = 'pending' AND r.next_attempt_at > p_now
        ),
        'active', (SELECT count(*) FROM scheduling.reminders AS r WHERE r.state = 'leased'),
        'failed', (SELECT count(*) FROM scheduling.reminders AS r WHERE r.state = 'failed')
    )
    INTO v_queue;

    v_oldest_due := scheduling_internal.oldest_due_at(p_now);

    -- The last hour of history, from session_status_history_happened_at_idx alone.
    SELECT coalesce(jsonb_object_agg(t.action, t.n), '{}'::jsonb)
    INTO v_transitions
    FROM (
        SELECT
            h.action,
            count(*) AS n
        FROM scheduling.session_status_history AS h
        WHERE h.happened_at > p_now - interval '1 hour' AND h.happened_at <= p_now
        GROUP BY h.action
    ) AS t;

    SELECT coalesce(jsonb_agg(h.sending_number ORDER BY h.sending_number), '[]'::jsonb)
    INTO v_halted
    FROM scheduling.sender_halts AS h
    WHERE h.lifted_at IS NULL;

    -- pg_cron's failed runs of our jobs in the last hour, when pg_cron lives in this database and this function's
    -- owner sees every one of our jobs (pg_cron shows a login only its own jobs and runs); else NULL: unknown.
    SELECT array_agg(c.cron_jobid)
    INTO v_jobids
    FROM sessionkeeper_meta.cron_jobs AS c
    WHERE c.cron_database = current_database() AND c.cron_jobid IS NOT NULL;
    IF v_jobids IS NOT NULL THEN
        BEGIN
            v_jobs := to_regclass('cron.job');
            v_runs := to_regclass('cron.job_run_details');
            IF v_jobs IS NOT NULL AND v_runs IS NOT NULL THEN
                -- Dynamic: pg_cron's tables exist only where pg_cron is created (their names found just above).
                EXECUTE format(
                    'SELECT CASE WHEN (SELECT count(*) FROM %s AS j WHERE j.jobid = ANY ($1)) = cardinality($1) '
                    'THEN (SELECT count(*) FROM %s AS d WHERE d.jobid = ANY ($1) AND d.status = ''failed'' '
                    'AND d.start_time > $2 - interval ''1 hour'' AND d.start_time <= $2)::integer END',
                    v_jobs, v_runs
                )
                INTO v_cron_failed
                USING v_jobids, p_now;
            END IF;
        EXCEPTION WHEN insufficient_privilege OR undefined_table OR undefined_column THEN
            v_cron_failed := NULL;
        END;
    END IF;

    RETURN jsonb_build_object(
        'queue', v_queue,
        'oldest_due_age_seconds', extract(EPOCH FROM p_now - v_oldest_due)::double precision,
        'transitions_last_hour', v_transitions,
        'halted_senders', v_halted,
        'failed_cron_runs_last_hour', v_cron_failed
    );
END;
$function$;

COMMENT ON FUNCTION scheduling.metrics_snapshot(timestamptz) IS
'The database figures of the worker''s Prometheus /metrics in one cheap call at p_now: {"queue": {"waiting" (pending '
'and due), "delayed" (pending, due later), "active" (leased), "failed"} (open rows and failures, each from a partial '
'index), "oldest_due_age_seconds" (how long the oldest due row, pending or leased with an expired lease, has '
'waited; NULL when none), "transitions_last_hour": {action: count} (session_status_history rows whose happened_at '
'lies in the hour up to p_now, by action), "halted_senders": [sending numbers with a standing halt], '
'"failed_cron_runs_last_hour" (pg_cron runs of sessionkeeper''s jobs that failed in that hour; NULL when pg_cron '
'lives in another database or its rows are not visible to this function''s owner)}. Errors: SK009 NULL p_now.'
' Side effects: none.';

GRANT EXECUTE ON FUNCTION scheduling.metrics_snapshot(timestamptz) TO sessionkeeper_worker;
