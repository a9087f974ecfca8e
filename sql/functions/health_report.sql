-- SECURITY DEFINER: monitors run as the worker or cron role, which hold no table privileges.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.health_report(
    p_cron jsonb DEFAULT NULL,
    p_max_tick_age interval DEFAULT '5 minutes',
    p_overdue_grace interval DEFAULT '15 minutes',
    p_max_heartbeat_age interval DEFAULT '2 minutes',
    p_max_due_age interval DEFAULT '5 minutes',
    p_max_lease_overdue interval DEFAULT '15 minutes',
    p_now timestamptz DEFAULT now()
)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
STABLE
AS $function$
DECLARE
    c_tick_job CONSTANT text := 'sessionkeeper-tick';
    v_health jsonb;
    v_halts integer;
    v_checks jsonb := '[]'::jsonb;
    v_last_tick timestamptz;
    v_cron_known boolean;
    v_cron_where text;
    v_tick_job jsonb;
    v_failing text;
    v_cause text;
    v_count integer;
    v_oldest timestamptz;
    v_status text;
BEGIN
    IF p_max_tick_age IS NULL OR p_max_tick_age <= interval '0'
        OR p_overdue_grace IS NULL OR p_overdue_grace <= interval '0'
        OR p_max_lease_overdue IS NULL OR p_max_lease_overdue <= interval '0' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK017',
            MESSAGE = format(
                'health_report: thresholds must be positive, not p_max_tick_age %s, p_overdue_grace %s, '
                'p_max_lease_overdue %s', p_max_tick_age, p_overdue_grace, p_max_lease_overdue
            );
    END IF;
    IF p_cron IS NOT NULL AND (
        jsonb_typeof(p_cron) <> 'object'
        OR (p_cron ? 'jobs' AND jsonb_typeof(p_cron -> 'jobs') <> 'array')
        OR EXISTS (
            SELECT 1 FROM jsonb_array_elements(coalesce(p_cron -> 'jobs', '[]'::jsonb)) AS j (job)
            WHERE
                jsonb_typeof(j.job) <> 'object' OR jsonb_typeof(j.job -> 'jobname') IS DISTINCT FROM 'string'
                OR jsonb_typeof(j.job -> 'active') IS DISTINCT FROM 'boolean'
        )
    ) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK069',
            MESSAGE = format(
                'health_report: p_cron must be {"problem": text} or {"database": text, "jobs": [{"jobname": text, '
                '"active": boolean, ...}]}, not %s', left(p_cron::text, 200)
            );
    END IF;
    -- Heartbeats, the oldest due row and the halts come from health (which also checks its thresholds and p_now).
    v_health := scheduling.health(p_max_heartbeat_age, p_max_due_age, p_now);
    v_halts := jsonb_array_length(v_health -> 'halted_senders');

    -- The cron side, as the caller read it from pg_cron's database (which may be another one).
    v_cron_known := p_cron IS NOT NULL AND p_cron ? 'jobs';
    v_cron_where := coalesce('database ' || (p_cron ->> 'database'), 'pg_cron');
    SELECT j.job INTO v_tick_job
    FROM jsonb_array_elements(CASE WHEN v_cron_known THEN p_cron -> 'jobs' END) AS j (job)
    WHERE split_part(j.job ->> 'jobname', '@', 1) = c_tick_job
    ORDER BY (j.job ->> 'active')::boolean DESC
    LIMIT 1;
    SELECT string_agg(
        format(
            '%s failed at %s: %s', j.job ->> 'jobname',
            coalesce(scheduling_internal.format_local_time((j.job ->> 'last_start')::timestamptz, 'UTC'), 'its start'),
            coalesce(nullif(btrim(j.job ->> 'last_message'), ''), 'no message')
        ), '; ' ORDER BY j.job ->> 'jobname'
    )
    INTO v_failing
    FROM jsonb_array_elements(CASE WHEN v_cron_known THEN p_cron -> 'jobs' END) AS j (job)
    WHERE j.job ->> 'last_status' = 'failed';

    v_checks := v_checks || CASE
        WHEN p_cron IS NULL THEN jsonb_build_object(
            'check', 'cron', 'status', 'warn', 'detail', 'pg_cron was not looked at'
        )
        WHEN p_cron ->> 'off' = 'true' THEN jsonb_build_object(
            'check', 'cron', 'status', 'ok', 'detail', 'pg_cron is switched off: tick-stale watches the other ticker'
        )
        WHEN NOT v_cron_known THEN jsonb_build_object(
            'check', 'cron', 'status', 'warn',
            'detail', 'could not check pg_cron: ' || coalesce(p_cron ->> 'problem', 'no jobs given')
        )
        ELSE jsonb_build_object(
            'check', 'cron', 'status', 'ok',
            'detail', format('pg_cron in %s: %s job(s)', v_cron_where, jsonb_array_length(p_cron -> 'jobs'))
        )
    END;

    -- The last tick, from pg_cron or `tick --loop` alike, and what pg_cron says about it.
    SELECT ts.last_run_at INTO v_last_tick FROM scheduling.tick_state AS ts WHERE ts.singleton;
    v_cause := CASE
        WHEN NOT v_cron_known THEN NULL
        WHEN v_tick_job IS NULL THEN format('no %s job in %s', c_tick_job, v_cron_where)
        WHEN NOT (v_tick_job ->> 'active')::boolean THEN format('pg_cron job %s is paused', v_tick_job ->> 'jobname')
        WHEN v_tick_job ->> 'last_status' = 'failed' THEN format(
            'its latest pg_cron run failed: %s', coalesce(btrim(v_tick_job ->> 'last_message'), 'no message')
        )
    END;
    v_checks := v_checks || CASE
        WHEN v_last_tick IS NULL THEN jsonb_build_object(
            'check', 'tick-stale', 'status', 'fail',
            'detail', 'no tick has run yet' || coalesce(' (' || v_cause || ')', '')
        )
        WHEN v_last_tick < p_now - p_max_tick_age THEN jsonb_build_object(
            'check', 'tick-stale', 'status', 'fail',
            'detail', format(
                'last tick %s ago, more than %s', scheduling_internal.human_duration(p_now - v_last_tick),
                scheduling_internal.human_duration(p_max_tick_age)
            ) || coalesce(' (' || v_cause || ')', ''),
            'last_tick_at', v_last_tick
        )
        ELSE jsonb_build_object(
            'check', 'tick-stale', 'status', 'ok',
            'detail', format(
                'last tick %s ago', scheduling_internal.human_duration(greatest(p_now - v_last_tick, '0'))
            ),
            'last_tick_at', v_last_tick
        )
    END;
    v_checks := v_checks || CASE
        WHEN p_cron ->> 'off' = 'true' THEN jsonb_build_object(
            'check', 'tick-paused', 'status', 'ok', 'detail', 'pg_cron is switched off'
        )
        WHEN NOT v_cron_known THEN jsonb_build_object(
            'check', 'tick-paused', 'status', 'unknown', 'detail', 'pg_cron not checked'
        )
        WHEN v_tick_job IS NULL THEN jsonb_build_object(
            'check', 'tick-paused', 'status', 'ok', 'detail', format('no %s job in %s', c_tick_job, v_cron_where)
        )
        WHEN NOT (v_tick_job ->> 'active')::boolean THEN jsonb_build_object(
            'check', 'tick-paused', 'status', 'fail',
            'detail', format(
                'pg_cron job %s is paused; resume it in %s: SELECT cron.alter_job(%s, active => true)',
                v_tick_job ->> 'jobname', v_cron_where, coalesce(v_tick_job ->> 'jobid', 'JOBID')
            )
        )
        ELSE jsonb_build_object(
            'check', 'tick-paused', 'status', 'ok', 'detail', format('%s is active', v_tick_job ->> 'jobname')
        )
    END;
    v_checks := v_checks || CASE
        WHEN p_cron ->> 'off' = 'true' THEN jsonb_build_object(
            'check', 'cron-failing', 'status', 'ok', 'detail', 'pg_cron is switched off'
        )
        WHEN NOT v_cron_known THEN jsonb_build_object(
            'check', 'cron-failing', 'status', 'unknown', 'detail', 'pg_cron not checked'
        )
        WHEN v_failing IS NOT NULL THEN jsonb_build_object(
            'check', 'cron-failing', 'status', 'fail', 'detail', 'latest run failed: ' || v_failing
        )
        ELSE jsonb_build_object(
            'check', 'cron-failing', 'status', 'ok', 'detail', 'no job''s latest run failed'
        )
    END;

    -- Sessions that tick should have moved: the same rows as tick's due query (its partial indexes), past a grace.
    SELECT count(*)::integer, min(d.due_at)
    INTO v_count, v_oldest
    FROM (
        SELECT s.starts_at AS due_at
        FROM scheduling.sessions AS s
        WHERE s.status = 'scheduled' AND s.deleted_at IS NULL AND s.starts_at < p_now - p_overdue_grace
        UNION ALL
        SELECT s.ends_at
        FROM scheduling.sessions AS s
        WHERE
            s.status = 'in_progress' AND NOT s.is_delayed AND s.deleted_at IS NULL
            AND s.ends_at < p_now - p_overdue_grace
    ) AS d;
    v_checks := v_checks || CASE
        WHEN v_count > 0 THEN jsonb_build_object(
            'check', 'overdue-sessions', 'status', 'fail', 'count', v_count,
            'detail', format(
                '%s session(s) not moved more than %s after their time, the oldest due %s ago',
                v_count, scheduling_internal.human_duration(p_overdue_grace),
                scheduling_internal.human_duration(p_now - v_oldest)
            )
        )
        ELSE jsonb_build_object(
            'check', 'overdue-sessions', 'status', 'ok', 'count', 0, 'detail', 'no session overdue'
        )
    END;

    -- health lists the halts first among its problems, one each, ordered by number.
    v_checks := v_checks || CASE
        WHEN v_halts > 0 THEN jsonb_build_object(
            'check', 'halted-senders', 'status', 'fail', 'halts', v_health -> 'halted_senders',
            'detail', (
                SELECT string_agg(p.problem, '; ' ORDER BY p.n)
                FROM jsonb_array_elements_text(v_health -> 'problems') WITH ORDINALITY AS p (problem, n)
                WHERE p.n <= v_halts
            )
        )
        ELSE jsonb_build_object(
            'check', 'halted-senders', 'status', 'ok', 'halts', '[]'::jsonb, 'detail', 'no sending number halted'
        )
    END;

    SELECT count(*)::integer, min(r.lease_expires_at)
    INTO v_count, v_oldest
    FROM scheduling.reminders AS r
    WHERE r.state = 'leased' AND r.lease_expires_at < p_now - p_max_lease_overdue;
    v_checks := v_checks || CASE
        WHEN v_count > 0 THEN jsonb_build_object(
            'check', 'stuck-leases', 'status', 'fail', 'count', v_count,
            'detail', format(
                '%s claimed reminder(s) whose lease expired more than %s ago (the oldest %s ago) and no worker '
                'took back', v_count, scheduling_internal.human_duration(p_max_lease_overdue),
                scheduling_internal.human_duration(p_now - v_oldest)
            )
        )
        ELSE jsonb_build_object('check', 'stuck-leases', 'status', 'ok', 'count', 0, 'detail', 'no stuck lease')
    END;

    v_status := CASE
        WHEN (v_health ->> 'oldest_due_age_seconds')::float8 > extract(EPOCH FROM p_max_due_age) THEN 'fail'
        ELSE 'ok'
    END;
    v_checks := v_checks || jsonb_build_object(
        'check', 'oldest-due', 'status', v_status, 'age_seconds', v_health -> 'oldest_due_age_seconds',
        'detail', CASE
            WHEN v_health ->> 'oldest_due_age_seconds' IS NULL THEN 'no reminder due'
            ELSE format(
                'the oldest due reminder has waited %s%s',
                scheduling_internal.human_duration(
                    make_interval(secs => (v_health ->> 'oldest_due_age_seconds')::float8)
                ),
                CASE WHEN v_status = 'fail' THEN
                    ', more than ' || scheduling_internal.human_duration(p_max_due_age)
                END
            )
        END
    );
    v_checks := v_checks || jsonb_build_object(
        'check', 'heartbeats',
        'status', CASE WHEN (v_health ->> 'workers_alive')::integer > 0 THEN 'ok' ELSE 'fail' END,
        'workers_alive', v_health -> 'workers_alive', 'failed_last_hour', v_health -> 'failed_last_hour',
        'detail', CASE
            WHEN (v_health ->> 'workers_alive')::integer > 0 THEN format(
                '%s worker(s) alive; %s reminder(s) failed in the last hour',
                v_health -> 'workers_alive', v_health -> 'failed_last_hour'
            )
            ELSE format(
                'no worker has sent a heartbeat in the last %s', scheduling_internal.human_duration(p_max_heartbeat_age)
            )
        END
    );

    v_status := CASE
        WHEN jsonb_path_exists(v_checks, '$[*] ? (@.status == "fail")') THEN 'unhealthy'
        WHEN jsonb_path_exists(v_checks, '$[*] ? (@.status == "warn" || @.status == "unknown")') THEN 'warning'
        ELSE 'healthy'
    END;
    RETURN jsonb_build_object('status', v_status, 'at', p_now, 'checks', v_checks);
END;
$function$;

COMMENT ON FUNCTION scheduling.health_report(jsonb, interval, interval, interval, interval, interval, timestamptz) IS
'For monitors (sessionkeeper healthcheck): {"status": "healthy" | "warning" | "unhealthy", "at": p_now, "checks": '
'[{"check", "status": "ok" | "warn" | "unknown" | "fail", "detail", ...}]}, one entry per check, in this order: '
'cron (warn when pg_cron could not be looked at), tick-stale (fail when scheduling.tick_state.last_run_at, '
'written by every tick from pg_cron or `tick --loop`, is missing or older than p_max_tick_age; the detail names '
'the cause pg_cron shows), tick-paused (fail when the sessionkeeper-tick job is not active), cron-failing (fail '
'when the latest run of one of the jobs failed), overdue-sessions (fail when a scheduled session is past its '
'start, or an in-progress one that is not delayed past its end, by more than p_overdue_grace), halted-senders '
'(fail for each standing sender halt), stuck-leases (fail when a leased reminder''s lease expired more than '
'p_max_lease_overdue ago), oldest-due and heartbeats (as scheduling.health with p_max_due_age and '
'p_max_heartbeat_age). unhealthy when a check fails, warning when one warns or is unknown. pg_cron may live in '
'another database, so the caller reads it and passes p_cron: {"database": text, "jobs": [{"jobname", "jobid", '
'"active", "last_status", "last_start", "last_message"}]} (each job''s latest run), {"problem": text} when it '
'could not, {"off": true} when scheduling is switched off (the pg_cron checks pass), or NULL (cron warns, '
'tick-paused and cron-failing are unknown). Errors: SK017 a threshold not positive, SK069 p_cron not of that '
'shape, SK009 NULL p_now.'
' Side effects: none.';

GRANT EXECUTE ON FUNCTION scheduling.health_report(
    jsonb, interval, interval, interval, interval, interval, timestamptz
) TO sessionkeeper_worker, sessionkeeper_cron;
