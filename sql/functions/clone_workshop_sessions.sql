-- SECURITY DEFINER: apps hold no table privileges; this function is how they change these rows, with its checks.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.clone_workshop_sessions(
    p_workshop_id uuid,
    p_new_start_date date,
    p_run_name text DEFAULT NULL,
    p_now timestamptz DEFAULT now(),
    p_source_run_id uuid DEFAULT NULL,
    p_actor text DEFAULT session_user
)
RETURNS TABLE (
    session_id uuid, run_id uuid, day_number integer, starts_at timestamptz, ends_at timestamptz
)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    v_workshop scheduling.workshops;
    v_source_id uuid;
    v_base_date date;
    v_shift integer;
    v_run_id uuid;
    v_source scheduling.sessions;
    v_new_start timestamptz;
    v_new_end timestamptz;
    v_busy scheduling.sessions;
    v_reason text;
BEGIN
    PERFORM scheduling_internal.check_now('clone_workshop_sessions', p_now);
    PERFORM scheduling_internal.check_text_length('clone_workshop_sessions: p_run_name', p_run_name, 'name');
    SELECT w.* INTO v_workshop FROM scheduling.workshops AS w WHERE w.id = p_workshop_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK028', MESSAGE = format('workshop %s not found', coalesce(p_workshop_id::text, 'NULL'));
    END IF;
    IF p_new_start_date IS NULL THEN -- p_now: check_now above
        RAISE EXCEPTION USING ERRCODE = 'SK009', MESSAGE = 'clone_workshop_sessions: a start date and p_now are needed';
    END IF;

    IF p_source_run_id IS NOT NULL THEN
        SELECT r.id INTO v_source_id
        FROM scheduling.workshop_runs AS r
        WHERE r.id = p_source_run_id AND r.workshop_id = p_workshop_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING
                ERRCODE = 'SK029',
                MESSAGE = format('workshop %s has no run %s', p_workshop_id, p_source_run_id);
        END IF;
    ELSE
        -- The latest run that has sessions.
        SELECT r.id INTO v_source_id
        FROM scheduling.workshop_runs AS r
        WHERE
            r.workshop_id = p_workshop_id
            AND EXISTS (
                SELECT 1 FROM scheduling.sessions AS s WHERE s.workshop_run_id = r.id AND s.deleted_at IS NULL
            )
        ORDER BY r.start_date DESC, r.created_at DESC
        LIMIT 1;
    END IF;

    SELECT min((s.starts_at AT TIME ZONE v_workshop.time_zone)::date)
    INTO v_base_date
    FROM scheduling.sessions AS s
    WHERE s.workshop_run_id = v_source_id AND s.deleted_at IS NULL;
    IF v_base_date IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK030',
            MESSAGE = format('workshop %s has no sessions to clone', p_workshop_id),
            HINT = 'Create a run with create_workshop_run and add_workshop_session first.';
    END IF;

    IF p_new_start_date < (p_now AT TIME ZONE v_workshop.time_zone)::date THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK031',
            MESSAGE = format(
                'cannot clone workshop %s to %s: that date is before today (%s in %s)', p_workshop_id,
                p_new_start_date, (p_now AT TIME ZONE v_workshop.time_zone)::date, v_workshop.time_zone
            );
    END IF;

    v_shift := p_new_start_date - v_base_date;
    INSERT INTO scheduling.workshop_runs (workshop_id, run_name, start_date, end_date)
    VALUES (
        p_workshop_id,
        coalesce(nullif(btrim(p_run_name), ''), to_char(p_new_start_date, 'FMMonth YYYY') || ' Batch'),
        p_new_start_date,
        p_new_start_date
    )
    RETURNING workshop_runs.id INTO v_run_id;

    -- Held to the end of the transaction: nobody else places a session in the host's time between the check
    -- below and the insert.
    PERFORM scheduling_internal.lock_host_time(v_workshop.host_id);

    -- Same day offsets and the same local wall-clock times in the workshop's zone: across a DST change the
    -- UTC instants move, the local times do not.
    FOR v_source IN
        SELECT s.*
        FROM scheduling.sessions AS s
        WHERE s.workshop_run_id = v_source_id AND s.deleted_at IS NULL
        ORDER BY s.day_number
    LOOP
        v_new_start := scheduling_internal.local_to_instant(
            (v_source.starts_at AT TIME ZONE v_workshop.time_zone) + make_interval(days => v_shift),
            v_workshop.time_zone
        );
        v_new_end := scheduling_internal.local_to_instant(
            (v_source.ends_at AT TIME ZONE v_workshop.time_zone) + make_interval(days => v_shift),
            v_workshop.time_zone
        );
        IF v_new_start <= p_now THEN
            RAISE EXCEPTION USING
                ERRCODE = 'SK031',
                MESSAGE = format('cannot clone workshop %s to %s: day %s would start at %s, in the past',
                    p_workshop_id, p_new_start_date, v_source.day_number, v_new_start);
        END IF;
        -- A day whose host already has a live session then is left out of the new run, and the run says so.
        v_busy := scheduling_internal.host_busy_with(v_workshop.host_id, v_new_start, v_new_end);
        IF v_busy.id IS NOT NULL THEN
            v_reason := format(
                'day %s not cloned: %s', v_source.day_number,
                scheduling_internal.host_busy_message(v_busy, v_new_start, v_new_end)
            );
            INSERT INTO scheduling.workshop_run_skipped_days (
                run_id, day_number, starts_at, ends_at, busy_session_id, reason, actor, happened_at
            )
            VALUES (
                v_run_id, v_source.day_number, v_new_start, v_new_end, v_busy.id, v_reason,
                coalesce(p_actor, session_user), p_now
            );
            RAISE NOTICE '%', v_reason;
            CONTINUE;
        END IF;
        session_id := scheduling.add_workshop_session(
            v_run_id, v_source.day_number, v_new_start, v_new_end, v_source.capacity,
            v_source.metadata, p_actor, p_now
        );
        run_id := v_run_id;
        day_number := v_source.day_number;
        starts_at := v_new_start;
        ends_at := v_new_end;
        RETURN NEXT;
    END LOOP;
END;
$function$;

COMMENT ON FUNCTION scheduling.clone_workshop_sessions(uuid, date, text, timestamptz, uuid, text) IS
'Repeats a workshop: a new run of the workshop starting on local date p_new_start_date whose '
'sessions keep the day offsets, local start and end times (in the workshop''s zone, across DST: '
'local_to_instant), capacity and metadata of the latest run with sessions (or p_source_run_id). Default name '
'"<Month YYYY> Batch". Returns the new sessions. Errors: SK028 unknown workshop, SK029 run not of this '
'workshop, SK030 no sessions to clone, SK031 start date before today in the '
'workshop''s zone, or a cloned session starting at or before p_now. A day whose host already has a live session '
'then is not created: it is not returned, a NOTICE and a workshop_run_skipped_days row name the session that holds '
'the time (workshop_run_summary.skipped_days counts them), and the other days are cloned.'
' Input limits: SK034 p_run_name over 200 characters; SK009 sessions outside the years 1900 to 9999.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: inserts a scheduling.workshop_runs row, a workshop_run_skipped_days row per day skipped, takes '
'the host''s time lock to the end of the transaction and, per cloned day, those of add_workshop_session (a '
'session with its history row; the run''s dates updated).';

GRANT EXECUTE ON FUNCTION scheduling.clone_workshop_sessions(
    uuid, date, text, timestamptz, uuid, text
) TO sessionkeeper_app;
