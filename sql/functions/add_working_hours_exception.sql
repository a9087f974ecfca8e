-- SECURITY DEFINER: apps hold no table privileges; this function is how they change these rows, with its checks.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.add_working_hours_exception(
    p_host_id uuid,
    p_on_date date,
    p_kind text,
    p_hours text DEFAULT NULL,
    p_reason text DEFAULT NULL,
    p_actor text DEFAULT session_user,
    p_now timestamptz DEFAULT now()
)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    v_starts_at time;
    v_ends_at time;
    v_id bigint;
BEGIN
    PERFORM scheduling_internal.check_actor_and_now('add_working_hours_exception', p_actor, p_now);
    PERFORM scheduling_internal.check_text_length('add_working_hours_exception: p_reason', p_reason, 'free_text');
    IF p_on_date IS NULL OR NOT (p_on_date BETWEEN '1900-01-02' AND '9999-12-30') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK060',
            MESSAGE = format('add_working_hours_exception: p_on_date %s must be a date from 1900 to 9999',
                coalesce(p_on_date::text, 'NULL'));
    END IF;
    IF p_kind IS NULL OR p_kind NOT IN ('day_off', 'hours_off', 'extra_hours') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK060',
            MESSAGE = format('add_working_hours_exception: unknown kind %s', coalesce(quote_literal(left(p_kind, 40)), 'NULL')),
            HINT = 'Kinds: day_off (no p_hours), hours_off, extra_hours (p_hours like ''22:00-02:00'').';
    END IF;
    IF p_kind = 'day_off' AND p_hours IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK060',
            MESSAGE = 'add_working_hours_exception: a day off takes no p_hours (it is the whole local date)',
            HINT = 'Hours off on a date: kind hours_off.';
    END IF;
    IF p_kind <> 'day_off' THEN
        SELECT r.starts_at, r.ends_at INTO v_starts_at, v_ends_at
        FROM scheduling_internal.parse_time_range('add_working_hours_exception: ' || p_kind, p_hours) AS r;
    END IF;
    PERFORM scheduling_internal.live_host_time_zone(p_host_id);
    PERFORM scheduling_internal.lock_host_time(p_host_id);

    INSERT INTO scheduling.working_hours_exceptions (
        host_id, on_date, kind, starts_at, ends_at, reason, created_by, created_at
    )
    VALUES (p_host_id, p_on_date, p_kind, v_starts_at, v_ends_at, p_reason, p_actor, p_now)
    RETURNING id INTO v_id;
    RETURN v_id;
END;
$function$;

COMMENT ON FUNCTION scheduling.add_working_hours_exception(uuid, date, text, text, text, text, timestamptz) IS
'Adds a dated change to the weekly hours of host p_host_id, in the host''s time zone, and returns its id: '
'''day_off'' (the whole local date p_on_date, no p_hours; weekly hours from the day before running past midnight '
'stop at midnight), ''hours_off'' or ''extra_hours'' with p_hours ''HH:MM-HH:MM'' on p_on_date (an end at or '
'before the start ends the next day). Working time = (weekly hours - days off - hours off) + extra hours; extra '
'hours alone do not make create_appointment check a host without weekly hours. Sessions already booked stay. '
'Errors: SK060 unknown kind, a date NULL or outside 1900 to 9999, p_hours missing, malformed or given for a day '
'off; SK007 unknown or deleted host.'
' Input limits: SK034 p_reason over 2000 or p_actor over 200 characters; SK009 p_now NULL or infinite.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: inserts a scheduling.working_hours_exceptions row; takes the host''s time lock until commit.';

GRANT EXECUTE ON FUNCTION scheduling.add_working_hours_exception(
    uuid, date, text, text, text, text, timestamptz
) TO sessionkeeper_app;
