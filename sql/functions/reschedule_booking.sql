-- SECURITY DEFINER: apps hold no table privileges; this function is how they change these rows, with its checks.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.reschedule_booking(
    p_booking_id uuid,
    p_new_starts_at timestamptz,
    p_new_ends_at timestamptz,
    p_actor text DEFAULT session_user,
    p_now timestamptz DEFAULT now()
)
RETURNS scheduling.bookings
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    v_booking scheduling.bookings;
    v_old scheduling.sessions;
    v_new scheduling.sessions;
BEGIN
    PERFORM scheduling_internal.check_actor_and_now('reschedule_booking', p_actor, p_now);
    SELECT b.* INTO v_booking FROM scheduling.bookings AS b WHERE b.id = p_booking_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK010',
            MESSAGE = format('cannot reschedule booking %s: booking not found', coalesce(p_booking_id::text, 'NULL'));
    END IF;

    v_old := scheduling_internal.lock_session_for_action(v_booking.session_id, 'reschedule the booking of');
    SELECT b.* INTO v_booking FROM scheduling.bookings AS b WHERE b.id = p_booking_id FOR UPDATE;

    IF v_booking.status <> 'confirmed' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK013',
            MESSAGE = format('cannot reschedule booking %s: it is %s', v_booking.id, v_booking.status);
    END IF;

    IF v_old.capacity <> 1 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK014',
            MESSAGE = format(
                'cannot reschedule booking %s: it is a seat in group session %s (capacity %s)',
                v_booking.id, v_old.id, v_old.capacity
            ),
            HINT = 'Move the whole session with reschedule_session, or cancel_booking and create_booking in '
            || 'another session.';
    END IF;

    -- The session's own reschedule replans the reminders (trigger sessions_replan_reminders).
    v_new := scheduling.reschedule_session(v_old.id, p_new_starts_at, p_new_ends_at, p_actor, p_now);

    UPDATE scheduling.bookings AS b
    SET updated_at = p_now
    WHERE b.id = v_booking.id
    RETURNING b.* INTO v_booking;

    INSERT INTO scheduling.booking_status_history (booking_id, from_status, to_status, detail, actor, happened_at)
    VALUES (
        v_booking.id, 'confirmed', 'confirmed',
        format(
            'rescheduled from %s .. %s to %s .. %s (slot %s)',
            v_old.starts_at, v_old.ends_at, v_new.starts_at, v_new.ends_at, v_new.slot_version
        ),
        coalesce(p_actor, session_user), p_now
    );

    RETURN v_booking;
END;
$function$;

COMMENT ON FUNCTION scheduling.reschedule_booking(uuid, timestamptz, timestamptz, text, timestamptz) IS
'Moves a confirmed 1:1 appointment (its session has capacity 1) to a new slot by rescheduling its session: '
'pending and leased reminders of the old slot are cancelled, new ones planned, sent ones kept. A seat in a '
'group session is refused (SK014): reschedule the session, or cancel and book another. Errors: SK010 '
'unknown booking, SK013 booking cancelled, SK014 group session, and reschedule_session''s (SK002, SK003, '
'SK004, SK008). Writes booking history; returns the booking.'
' Input limits: SK009 p_now NULL or infinite, SK034 p_actor over 200 characters, SK009 a new slot outside the '
'years 1900 to 9999.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: those of reschedule_session (session moved, history row, NOTIFY scheduling_session_status; '
'trigger sessions_replan_reminders cancels the old slot''s open reminders and plans the new slot''s); updates '
'bookings.updated_at and inserts a booking_status_history row.';

GRANT EXECUTE ON FUNCTION scheduling.reschedule_booking(
    uuid, timestamptz, timestamptz, text, timestamptz
) TO sessionkeeper_app;
