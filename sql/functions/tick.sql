-- SECURITY DEFINER: the cron role holds no table privileges; this job is what it may run.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.tick(p_now timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    -- pg_advisory_xact_lock key of tick: 0x534B5449434B, "SKTICK" in ASCII.
    c_tick_lock_key CONSTANT bigint := 91583001740107;
    c_max_updates CONSTANT integer := 100;
    v_last_tick_at timestamptz;
    v_started integer := 0;
    v_delayed integer := 0;
    v_completed integer := 0;
    v_skipped integer := 0;
    v_failed integer := 0;
    v_total integer := 0;
    v_updates jsonb := '[]'::jsonb;
    v_due_id uuid;
    v_due_status scheduling.session_status;
    v_due_slot_version integer;
    v_due_at timestamptz;
    v_moved_from scheduling.session_status;
    v_moved_to scheduling.session_status;
    v_moved_is_delayed boolean;
    v_error_state text;
    v_error_message text;
    v_result jsonb;
BEGIN
    PERFORM scheduling_internal.check_now('tick', p_now);

    -- Serialise concurrent ticks (pg_cron and a CLI): the second waits, then finds nothing left to do.
    PERFORM pg_advisory_xact_lock(c_tick_lock_key);

    SELECT ts.last_tick_at
    INTO v_last_tick_at
    FROM scheduling.tick_state AS ts
    WHERE ts.singleton
    FOR UPDATE;

    -- Normal path: one set-based statement.
    BEGIN
        SELECT
            (count(*) FILTER (WHERE a.from_status = 'scheduled' AND NOT a.is_delayed))::integer,
            (count(*) FILTER (WHERE a.from_status = 'scheduled' AND a.is_delayed))::integer,
            (count(*) FILTER (WHERE a.to_status = 'completed'))::integer,
            count(*)::integer,
            coalesce(
                jsonb_agg(
                    jsonb_build_object(
                        'id', a.session_id, 'from', a.from_status, 'to', a.to_status, 'is_delayed', a.is_delayed
                    )
                    ORDER BY a.ord
                ) FILTER (WHERE a.ord <= c_max_updates),
                '[]'::jsonb
            )
        INTO v_started, v_delayed, v_completed, v_total, v_updates
        FROM scheduling_internal.advance_due_sessions(p_now) WITH ORDINALITY AS a (
            session_id, from_status, to_status, is_delayed, ord
        );
    EXCEPTION WHEN OTHERS THEN
        -- Fallback: one sub-transaction per due session, so one session that cannot move does not stop
        -- the others. Failures leave a 'failed' history row with the error.
        v_started := 0;
        v_delayed := 0;
        v_completed := 0;
        v_total := 0;
        v_updates := '[]'::jsonb;

        FOR v_due_id, v_due_status, v_due_slot_version, v_due_at IN
            SELECT
                s.id,
                s.status,
                s.slot_version,
                CASE WHEN s.status = 'scheduled' THEN s.starts_at ELSE s.ends_at END
            FROM scheduling.sessions AS s
            WHERE
                s.deleted_at IS NULL
                AND (
                    (s.status = 'scheduled' AND s.starts_at <= p_now)
                    OR (s.status = 'in_progress' AND NOT s.is_delayed AND s.ends_at <= p_now)
                )
            ORDER BY s.starts_at, s.id
            FOR UPDATE OF s SKIP LOCKED
        LOOP
            BEGIN
                SELECT a.from_status, a.to_status, a.is_delayed
                INTO v_moved_from, v_moved_to, v_moved_is_delayed
                FROM scheduling_internal.advance_due_sessions(p_now, v_due_id) AS a;

                IF FOUND THEN
                    v_total := v_total + 1;
                    IF v_moved_from = 'scheduled' AND v_moved_is_delayed THEN
                        v_delayed := v_delayed + 1;
                    ELSIF v_moved_from = 'scheduled' THEN
                        v_started := v_started + 1;
                    END IF;
                    IF v_moved_to = 'completed' THEN
                        v_completed := v_completed + 1;
                    END IF;
                    IF v_total <= c_max_updates THEN
                        v_updates := v_updates || jsonb_build_array(
                            jsonb_build_object(
                                'id', v_due_id, 'from', v_moved_from, 'to', v_moved_to,
                                'is_delayed', v_moved_is_delayed
                            )
                        );
                    END IF;
                END IF;
            EXCEPTION WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS
                    v_error_state = RETURNED_SQLSTATE,
                    v_error_message = MESSAGE_TEXT;
                v_failed := v_failed + 1;
                INSERT INTO scheduling.session_status_history (
                    session_id, from_status, to_status, is_delayed, reason, detail, slot_version, happened_at
                )
                VALUES (
                    v_due_id, v_due_status, v_due_status, FALSE, 'failed',
                    format(
                        '%s due at %s failed: [%s] %s',
                        CASE WHEN v_due_status = 'scheduled' THEN 'start' ELSE 'completion' END,
                        v_due_at, v_error_state, v_error_message
                    ),
                    v_due_slot_version, p_now
                );
            END;
        END LOOP;
    END;

    -- Skipped traces: due times in (last_tick_at, p_now] of sessions cancelled, marked no-show or
    -- deleted meanwhile (a deleted one by the status it was deleted in). One row per session slot
    -- (slot_version), never on the first tick.
    IF v_last_tick_at IS NOT NULL AND p_now > v_last_tick_at THEN
        WITH passed AS (
            SELECT
                s.id,
                s.status,
                s.is_delayed,
                s.slot_version,
                s.deleted_at,
                s.deleted_from_status,
                s.starts_at,
                s.ends_at,
                s.starts_at > v_last_tick_at AND s.starts_at <= p_now AS start_passed,
                s.ends_at > v_last_tick_at AND s.ends_at <= p_now AS end_passed
            FROM scheduling.sessions AS s
            WHERE
                (
                    (s.starts_at > v_last_tick_at AND s.starts_at <= p_now)
                    OR (s.ends_at > v_last_tick_at AND s.ends_at <= p_now)
                )
                AND NOT EXISTS (
                    SELECT 1
                    FROM scheduling.session_status_history AS h
                    WHERE
                        h.session_id = s.id
                        AND h.reason = 'skipped'
                        AND h.slot_version = s.slot_version
                )
        ),

        skipped AS (
            SELECT p.*
            FROM passed AS p
            WHERE
                p.status IN ('cancelled', 'no_show')
                OR (
                    p.status = 'deleted'
                    AND (
                        p.deleted_from_status = 'scheduled'
                        OR (p.deleted_from_status = 'in_progress' AND NOT p.is_delayed AND p.end_passed)
                    )
                )
        ),

        written AS (
            INSERT INTO scheduling.session_status_history (
                session_id, from_status, to_status, is_delayed, reason, detail, slot_version, happened_at
            )
            SELECT
                k.id,
                k.status,
                k.status,
                k.is_delayed,
                'skipped',
                format(
                    '%s due at %s skipped: %s',
                    CASE
                        WHEN k.start_passed AND k.end_passed THEN 'start and completion'
                        WHEN k.start_passed THEN 'start'
                        ELSE 'completion'
                    END,
                    CASE WHEN k.start_passed THEN k.starts_at ELSE k.ends_at END,
                    CASE
                        WHEN k.deleted_at IS NOT NULL THEN format('session was deleted at %s', k.deleted_at)
                        ELSE format('session is %s', k.status)
                    END
                ),
                k.slot_version,
                p_now
            FROM skipped AS k
            ORDER BY k.starts_at, k.id
            RETURNING 1 AS one
        )

        SELECT count(*)::integer INTO v_skipped FROM written;
    END IF;

    v_result := jsonb_build_object(
        'started', v_started,
        'delayed', v_delayed,
        'completed', v_completed,
        'skipped', v_skipped,
        'failed', v_failed,
        'updates', v_updates,
        'truncated', v_total > c_max_updates,
        'total', v_total
    );

    UPDATE scheduling.tick_state AS ts
    SET
        last_tick_at = greatest(ts.last_tick_at, p_now),
        last_result = v_result,
        last_run_at = clock_timestamp()
    WHERE ts.singleton;

    IF v_total > 0 THEN
        PERFORM scheduling_internal.notify_session_status(v_result || jsonb_build_object('source', 'tick'));
    END IF;

    RETURN v_result;
END;
$function$;

COMMENT ON FUNCTION scheduling.tick(timestamptz) IS
'Runs every time-driven session transition due at p_now (what pg_cron runs every minute): automatic mode '
'scheduled -> in_progress at starts_at and -> completed at ends_at; host_started mode -> in_progress with '
'is_delayed at starts_at, auto-completion only when not delayed. Set-based; falls back to one '
'sub-transaction per session when that fails (failures recorded with reason failed). Writes one skipped '
'trace per session slot whose due time passed after it was cancelled, marked no-show or deleted. '
'Serialised by pg_advisory_xact_lock(91583001740107); rows locked elsewhere wait for the next tick. '
'Returns {started, delayed, completed, skipped, failed, updates: [{id, from, to, is_delayed}] (first 100), '
'truncated, total} and sends one NOTIFY scheduling_session_status when a session moved.'
' SK009 when p_now is NULL or infinite.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: takes its advisory lock; updates scheduling.sessions and inserts session_status_history rows '
'(moves, skipped traces, failures); trigger sessions_replan_reminders expires the open reminders of the sessions '
'that moved; updates scheduling.tick_state; NOTIFY scheduling_session_status when a session moved.';

GRANT EXECUTE ON FUNCTION scheduling.tick(timestamptz) TO sessionkeeper_cron;
