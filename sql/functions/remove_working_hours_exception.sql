-- SECURITY DEFINER: apps hold no table privileges; this function is how they change these rows, with its checks.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.remove_working_hours_exception(
    p_host_id uuid,
    p_exception_id bigint,
    p_actor text DEFAULT session_user,
    p_now timestamptz DEFAULT now()
)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
BEGIN
    PERFORM scheduling_internal.check_actor_and_now('remove_working_hours_exception', p_actor, p_now);
    PERFORM scheduling_internal.live_host_time_zone(p_host_id);
    PERFORM scheduling_internal.lock_host_time(p_host_id);
    DELETE FROM scheduling.working_hours_exceptions AS e WHERE e.id = p_exception_id AND e.host_id = p_host_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK060',
            MESSAGE = format('remove_working_hours_exception: host %s has no exception %s', p_host_id,
                coalesce(p_exception_id::text, 'NULL')),
            HINT = 'See scheduling.working_hours_overview.';
    END IF;
END;
$function$;

COMMENT ON FUNCTION scheduling.remove_working_hours_exception(uuid, bigint, text, timestamptz) IS
'Removes the dated change p_exception_id (from add_working_hours_exception) of host p_host_id. Errors: SK060 no '
'such exception of that host; SK007 unknown or deleted host.'
' Input limits: SK034 p_actor over 200 characters; SK009 p_now NULL or infinite.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: deletes the scheduling.working_hours_exceptions row; takes the host''s time lock until commit.';

GRANT EXECUTE ON FUNCTION scheduling.remove_working_hours_exception(uuid, bigint, text, timestamptz)
TO sessionkeeper_app;
