-- SECURITY DEFINER: apps hold no table privileges; this function is how they change these rows, with its checks.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.create_booking(
    p_session_id uuid,
    p_person_id uuid,
    p_order_reference text DEFAULT NULL,
    p_actor text DEFAULT session_user,
    p_now timestamptz DEFAULT now()
)
RETURNS uuid
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    v_booking scheduling.bookings;
BEGIN
    PERFORM scheduling_internal.check_actor_and_now('create_booking', p_actor, p_now);
    -- Validation, the session lock and the capacity check are done by trigger bookings_validate; the
    -- reminders are planned by trigger bookings_plan_reminders, in this transaction.
    INSERT INTO scheduling.bookings (session_id, person_id, order_reference, created_at, updated_at)
    VALUES (p_session_id, p_person_id, p_order_reference, p_now, p_now)
    RETURNING bookings.* INTO v_booking;

    INSERT INTO scheduling.booking_status_history (booking_id, from_status, to_status, detail, actor, happened_at)
    VALUES (
        v_booking.id, NULL, 'confirmed',
        format('booked in session %s (slot %s)', v_booking.session_id, v_booking.booked_slot_version)
        || coalesce(', order ' || p_order_reference, ''),
        coalesce(p_actor, session_user), p_now
    );

    RETURN v_booking.id;
END;
$function$;

COMMENT ON FUNCTION scheduling.create_booking(uuid, uuid, text, text, timestamptz) IS
'Books a person into a scheduled session (status confirmed, created_at = p_now) and plans its reminders in '
'the same transaction; returns the booking id. Errors: SK001 unknown session, SK002 deleted, SK003 session '
'not scheduled (cancelled, completed, ...), SK007 unknown or deleted person, SK011 the person already has '
'a booking in it, SK012 session full (capacity 0 = unlimited). Concurrent bookings are serialised on the '
'session row.'
' Input limits: SK009 p_now NULL or infinite, SK034 order reference or p_actor over 200 characters.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: inserts scheduling.bookings and booking_status_history rows; the booking''s triggers lock the '
'session row (bookings_validate), plan its reminders (bookings_plan_reminders: reminder rows, logged in '
'reminder_state_history by trigger reminders_history, which also sends NOTIFY scheduling_reminders_due for a row '
'due within a minute) and raise sessions.current_attendees (bookings_track_attendees).';

GRANT EXECUTE ON FUNCTION scheduling.create_booking(uuid, uuid, text, text, timestamptz) TO sessionkeeper_app;
