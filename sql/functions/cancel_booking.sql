-- SECURITY DEFINER: apps hold no table privileges; this function is how they change these rows, with its checks.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.cancel_booking(
    p_booking_id uuid,
    p_reason text DEFAULT NULL,
    p_actor text DEFAULT session_user,
    p_now timestamptz DEFAULT now()
)
RETURNS scheduling.bookings
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    v_session_id uuid;
    v_booking scheduling.bookings;
BEGIN
    PERFORM scheduling_internal.check_actor_and_now('cancel_booking', p_actor, p_now);
    SELECT b.session_id INTO v_session_id FROM scheduling.bookings AS b WHERE b.id = p_booking_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK010',
            MESSAGE = format('cannot cancel booking %s: booking not found', coalesce(p_booking_id::text, 'NULL'));
    END IF;

    -- Session first, then booking: the same order as the session actions and create_booking.
    PERFORM 1 FROM scheduling.sessions AS s WHERE s.id = v_session_id FOR UPDATE;
    SELECT b.* INTO v_booking FROM scheduling.bookings AS b WHERE b.id = p_booking_id FOR UPDATE;

    IF v_booking.status <> 'confirmed' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK013',
            MESSAGE = format('cannot cancel booking %s: it is %s', v_booking.id, v_booking.status);
    END IF;

    UPDATE scheduling.bookings AS b
    SET
        status = 'cancelled',
        cancelled_at = p_now,
        cancel_reason = p_reason,
        updated_at = p_now
    WHERE b.id = v_booking.id
    RETURNING b.* INTO v_booking;

    INSERT INTO scheduling.booking_status_history (booking_id, from_status, to_status, detail, actor, happened_at)
    VALUES (
        v_booking.id, 'confirmed', 'cancelled', 'cancelled' || coalesce(': ' || p_reason, ''),
        coalesce(p_actor, session_user), p_now
    );

    RETURN v_booking;
END;
$function$;

COMMENT ON FUNCTION scheduling.cancel_booking(uuid, text, text, timestamptz) IS
'Cancels a confirmed booking (cancelled_at = p_now, cancel_reason = p_reason), freeing its seat. In the same '
'transaction its pending and leased reminders are cancelled with the reason (sent ones kept) and, when the '
'session is still scheduled and ahead, the cancellation message is queued. Errors: SK010 unknown booking, '
'SK013 already cancelled. Writes history; returns the row.'
' Input limits: SK009 p_now NULL or infinite, SK034 p_reason over 2000 characters or p_actor over 200.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: updates scheduling.bookings and inserts a booking_status_history row; then, by trigger: '
'bookings_plan_reminders cancels the booking''s open reminders and queues the cancellation message, '
'bookings_track_attendees lowers sessions.current_attendees, bookings_waitlist_promote books waiting people into '
'the freed seat (promote_waitlist); the reminder rows are logged in reminder_state_history by trigger '
'reminders_history, which also sends NOTIFY scheduling_reminders_due for a row due within a minute.';

GRANT EXECUTE ON FUNCTION scheduling.cancel_booking(uuid, text, text, timestamptz) TO sessionkeeper_app;
