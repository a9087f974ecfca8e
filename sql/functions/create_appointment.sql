-- SECURITY DEFINER: apps hold no table privileges; this function is how they change these rows, with its checks.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.create_appointment(
    p_host_id uuid,
    p_person_id uuid,
    p_service text,
    p_starts_at timestamptz,
    p_ends_at timestamptz,
    p_reminder_policy text DEFAULT NULL,
    p_actor text DEFAULT session_user,
    p_now timestamptz DEFAULT now(),
    p_outside_working_hours boolean DEFAULT FALSE
)
RETURNS uuid
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    v_policy_id uuid;
    v_session_id uuid;
BEGIN
    PERFORM scheduling_internal.check_now('create_appointment', p_now);
    PERFORM scheduling_internal.check_text_length('create_appointment: p_reminder_policy', p_reminder_policy, 'name');
    -- The person first: the session is created before the booking, and a failed booking would leave nothing
    -- but a used history id behind.
    IF NOT EXISTS (SELECT FROM scheduling.people AS p WHERE p.id = p_person_id AND p.deleted_at IS NULL) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK007',
            MESSAGE = format('cannot book: person %s not found or deleted', coalesce(p_person_id::text, 'NULL'));
    END IF;
    IF p_reminder_policy IS NOT NULL THEN
        SELECT rp.id INTO v_policy_id FROM scheduling.reminder_policies AS rp WHERE rp.name = p_reminder_policy;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING
                ERRCODE = 'SK016',
                MESSAGE = format('unknown reminder policy %L', p_reminder_policy),
                HINT = 'See scheduling.reminder_policies.';
        END IF;
    END IF;

    IF NOT coalesce(p_outside_working_hours, false) THEN
        PERFORM scheduling_internal.check_working_time(p_host_id, p_starts_at, p_ends_at);
    END IF;

    v_session_id := scheduling.create_session(
        p_host_id, p_service, p_starts_at, p_ends_at, NULL, 'automatic', 1,
        jsonb_build_object('kind', 'appointment'), p_actor, p_now
    );

    IF v_policy_id IS NOT NULL THEN
        UPDATE scheduling.sessions AS s
        SET reminder_policy_id = v_policy_id
        WHERE s.id = v_session_id;
    END IF;

    RETURN scheduling.create_booking(v_session_id, p_person_id, NULL, p_actor, p_now);
END;
$function$;

COMMENT ON FUNCTION scheduling.create_appointment(
    uuid, uuid, text, timestamptz, timestamptz, text, text, timestamptz, boolean
) IS
'A 1:1 appointment in one call: creates a session of capacity 1 titled p_service with host '
'p_host_id (its time zone), optionally with the reminder policy named p_reminder_policy (NULL = default), '
'and books p_person_id into it; returns the booking id. When the host has weekly working hours the appointment '
'must lie wholly inside the host''s working time (scheduling.working_time), else SK063 naming the local times; '
'p_outside_working_hours => true skips that check (the host''s own use); a host without weekly hours is not '
'checked. Errors: those of create_session and create_booking, SK016 unknown policy, SK063 outside working time. '
'Nothing is written when any of them fails.'
' Input limits: SK034 service, policy name or p_actor over 200 characters; SK009 a time outside the years 1900 to '
'9999.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: those of create_session (session and history row) and create_booking (booking and '
'booking_status_history rows, reminders planned, sessions.current_attendees + 1); sets the session''s '
'reminder_policy_id when p_reminder_policy is given.';

GRANT EXECUTE ON FUNCTION scheduling.create_appointment(
    uuid, uuid, text, timestamptz, timestamptz, text, text, timestamptz, boolean
) TO sessionkeeper_app;
