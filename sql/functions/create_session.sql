-- SECURITY DEFINER: apps hold no table privileges; this function is how they change these rows, with its checks.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.create_session(
    p_host_id uuid,
    p_title text,
    p_starts_at timestamptz,
    p_ends_at timestamptz,
    p_time_zone text DEFAULT NULL,
    p_start_mode scheduling.session_start_mode DEFAULT 'automatic',
    p_capacity integer DEFAULT 1,
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
    v_session_id uuid;
BEGIN
    PERFORM scheduling_internal.check_now('create_session', coalesce(p_now, now()));
    PERFORM scheduling_internal.check_text_length('create_session: p_actor', p_actor, 'name');
    -- Validation (SK004, SK005, SK007, SK009) is done by trigger sessions_validate; a NULL time zone
    -- becomes the host's there.
    INSERT INTO scheduling.sessions (
        host_id, title, starts_at, ends_at, time_zone, start_mode, capacity, metadata
    )
    VALUES (
        p_host_id, p_title, p_starts_at, p_ends_at, p_time_zone,
        coalesce(p_start_mode, 'automatic'), p_capacity, coalesce(p_metadata, '{}')
    )
    RETURNING sessions.id INTO v_session_id;

    INSERT INTO scheduling.session_status_history (
        session_id, from_status, to_status, is_delayed, reason, detail, actor, slot_version, happened_at
    )
    VALUES (
        v_session_id, NULL, 'scheduled', FALSE, 'manual',
        format('created for %s .. %s', p_starts_at, p_ends_at),
        coalesce(p_actor, session_user), 1, coalesce(p_now, now())
    );

    RETURN v_session_id;
END;
$function$;

COMMENT ON FUNCTION scheduling.create_session(
    uuid, text, timestamptz, timestamptz, text, scheduling.session_start_mode, integer, jsonb, text, timestamptz
) IS
'Creates a scheduled session and its first history row (NULL -> scheduled, manual); returns its id. '
'p_time_zone defaults to the host''s. Errors: SK007 unknown or deleted host, SK004 end not after start, '
'SK005 unknown time zone, SK009 blank title / negative capacity (0 = unlimited) / metadata not an object.'
' Input limits: SK034 title or p_actor over 200 characters, metadata over 10000 as JSON text; SK009 a start or '
'end outside the years 1900 to 9999.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: inserts scheduling.sessions and session_status_history rows (no NOTIFY; no reminders, nobody is '
'booked yet).';

GRANT EXECUTE ON FUNCTION scheduling.create_session(
    uuid, text, timestamptz, timestamptz, text, scheduling.session_start_mode, integer, jsonb, text, timestamptz
) TO sessionkeeper_app;
