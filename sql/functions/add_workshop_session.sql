-- SECURITY DEFINER: apps hold no table privileges; this function is how they change these rows, with its checks.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.add_workshop_session(
    p_run_id uuid,
    p_day_number integer,
    p_starts_at timestamptz,
    p_ends_at timestamptz,
    p_capacity integer DEFAULT NULL,
    p_metadata jsonb DEFAULT '{}',
    p_actor text DEFAULT session_user,
    p_now timestamptz DEFAULT now()
)
RETURNS uuid
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    v_run scheduling.workshop_runs;
    v_workshop scheduling.workshops;
    v_session_id uuid;
BEGIN
    PERFORM scheduling_internal.check_now('add_workshop_session', p_now);
    SELECT r.* INTO v_run FROM scheduling.workshop_runs AS r WHERE r.id = p_run_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK029', MESSAGE = format('workshop run %s not found', coalesce(p_run_id::text, 'NULL'));
    END IF;
    SELECT w.* INTO v_workshop FROM scheduling.workshops AS w WHERE w.id = v_run.workshop_id;

    IF p_day_number IS NULL OR p_day_number < 1 OR EXISTS (
        SELECT 1 FROM scheduling.sessions AS s WHERE s.workshop_run_id = p_run_id AND s.day_number = p_day_number
    ) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK033',
            MESSAGE = format('day %s of run %s is taken or not a positive number', p_day_number, p_run_id);
    END IF;

    v_session_id := scheduling.create_session(
        p_host_id => v_workshop.host_id,
        p_title => v_workshop.title,
        p_starts_at => p_starts_at,
        p_ends_at => p_ends_at,
        p_time_zone => v_workshop.time_zone,
        p_capacity => coalesce(p_capacity, v_workshop.default_capacity),
        p_metadata => coalesce(p_metadata, '{}') || jsonb_build_object('day_number', p_day_number),
        p_actor => p_actor,
        p_now => p_now
    );

    UPDATE scheduling.sessions AS s
    SET
        workshop_run_id = p_run_id,
        day_number = p_day_number,
        reminder_policy_id = v_workshop.reminder_policy_id
    WHERE s.id = v_session_id;

    UPDATE scheduling.workshop_runs AS r
    SET
        start_date = d.first_date,
        end_date = d.last_date
    FROM (
        SELECT
            min((s.starts_at AT TIME ZONE v_workshop.time_zone)::date) AS first_date,
            max((s.ends_at AT TIME ZONE v_workshop.time_zone)::date) AS last_date
        FROM scheduling.sessions AS s
        WHERE s.workshop_run_id = p_run_id AND s.deleted_at IS NULL
    ) AS d
    WHERE r.id = p_run_id;

    RETURN v_session_id;
END;
$function$;

COMMENT ON FUNCTION scheduling.add_workshop_session(
    uuid, integer, timestamptz, timestamptz, integer, jsonb, text, timestamptz
) IS
'Adds Day p_day_number of a workshop run: a session (create_session: the workshop''s host, title, zone and '
'reminder policy; capacity p_capacity or the workshop''s default, 0 = unlimited) linked to the run; the run''s '
'start and end dates follow its sessions. Returns the session id. Errors: SK029 unknown run, SK033 day taken '
'or not positive, and create_session''s (SK004 end not after start, SK009 negative capacity, ...).'
' Input limits: SK034 metadata over 10000 as JSON text or p_actor over 200 characters; SK009 a time outside the '
'years 1900 to 9999.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: inserts the session and its creation history row (create_session); updates its run, day and '
'reminder policy in scheduling.sessions and the run''s start_date and end_date in scheduling.workshop_runs.';

GRANT EXECUTE ON FUNCTION scheduling.add_workshop_session(
    uuid, integer, timestamptz, timestamptz, integer, jsonb, text, timestamptz
) TO sessionkeeper_app;
