-- SECURITY DEFINER: apps hold no privilege on the workshops table; this is how the HTTP API reads a workshop
-- with its coming sessions. search_path is fixed so that no schema of the caller can stand in for pg_catalog or
-- scheduling.
CREATE OR REPLACE FUNCTION scheduling.workshop_availability(p_workshop_id uuid, p_now timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    v_workshop jsonb;
BEGIN
    PERFORM scheduling_internal.check_now_given('workshop_availability', p_now);
    SELECT
        jsonb_build_object(
            'id', w.id,
            'host_id', w.host_id,
            'title', w.title,
            'description', w.description,
            'default_capacity', w.default_capacity,
            'is_active', w.is_active,
            'time_zone', w.time_zone
        )
    INTO v_workshop
    FROM scheduling.workshops AS w
    WHERE w.id = p_workshop_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK028', MESSAGE = format('workshop %s not found', coalesce(p_workshop_id::text, 'NULL'));
    END IF;

    RETURN jsonb_build_object(
        'workshop', v_workshop,
        'runs', coalesce(
            (
                SELECT jsonb_agg(runs.run ORDER BY runs.first_starts_at, runs.run_id)
                FROM (
                    SELECT
                        a.run_id,
                        min(a.starts_at) AS first_starts_at,
                        jsonb_build_object(
                            'run_id', a.run_id,
                            'run_name', a.run_name,
                            'sessions', jsonb_agg(
                                jsonb_build_object(
                                    'session_id', a.session_id,
                                    'day_number', a.day_number,
                                    'title', a.title,
                                    'starts_at', a.starts_at,
                                    'ends_at', a.ends_at,
                                    'session_status', a.session_status,
                                    'capacity', a.capacity,
                                    'seats_left', a.seats_left,
                                    'waitlisted', a.waitlisted,
                                    'calculated_status', a.calculated_status
                                )
                                ORDER BY a.day_number, a.starts_at, a.session_id
                            )
                        ) AS run
                    FROM scheduling.session_availability AS a
                    WHERE a.workshop_id = p_workshop_id AND a.ends_at > p_now
                    GROUP BY a.run_id, a.run_name
                ) AS runs
            ),
            '[]'::jsonb
        )
    );
END;
$function$;

COMMENT ON FUNCTION scheduling.workshop_availability(uuid, timestamptz) IS
'A workshop and its coming sessions, as the HTTP API shows them, as one JSON object: {"workshop": {"id", '
'"host_id", "title", "description", "default_capacity", "is_active", "time_zone"}, "runs": [{"run_id", '
'"run_name", "sessions": [{"session_id", "day_number", "title", "starts_at", "ends_at", "session_status", '
'"capacity", "seats_left", "waitlisted", "calculated_status"}, ...]}, ...]}. Only sessions that are not deleted '
'and end after p_now, with session_availability''s seats_left (null = unlimited), waitlist and calculated status; '
'sessions by day_number, runs by their first such session; a run without one is left out ("runs": [] when no run '
'has one). Errors: SK028 workshop not found (unknown or NULL id); SK009 NULL p_now.'
' Side effects: none.';

GRANT EXECUTE ON FUNCTION scheduling.workshop_availability(uuid, timestamptz) TO sessionkeeper_app;
