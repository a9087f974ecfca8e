-- SECURITY DEFINER: apps hold no table privileges; this function is how they change these rows, with its checks.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.book_next_available(
    p_workshop_id uuid,
    p_person_id uuid,
    p_order_reference text DEFAULT NULL,
    p_actor text DEFAULT session_user,
    p_now timestamptz DEFAULT now()
)
RETURNS TABLE (booking_id uuid, session_id uuid, run_id uuid, day_number integer, starts_at timestamptz)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    v_workshop scheduling.workshops;
    v_candidate uuid;
    v_session scheduling.sessions;
    v_booking_id uuid;
BEGIN
    PERFORM scheduling_internal.check_actor_and_now('book_next_available', p_actor, p_now);
    SELECT w.* INTO v_workshop FROM scheduling.workshops AS w WHERE w.id = p_workshop_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK028', MESSAGE = format('workshop %s not found', coalesce(p_workshop_id::text, 'NULL'));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM scheduling.people AS p WHERE p.id = p_person_id AND p.deleted_at IS NULL) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK007',
            MESSAGE = format('cannot book: person %s not found or deleted', coalesce(p_person_id::text, 'NULL'));
    END IF;

    IF v_workshop.is_active THEN
        -- Candidates in time order, read without locks; each is then locked and checked again, so two callers
        -- racing for the last seat never both get it: the second sees the new count and moves on.
        FOR v_candidate IN
            SELECT s.id
            FROM scheduling.sessions AS s
            INNER JOIN scheduling.workshop_runs AS r ON s.workshop_run_id = r.id
            WHERE
                r.workshop_id = p_workshop_id
                AND r.status = 'scheduled'
                AND s.status = 'scheduled'
                AND s.deleted_at IS NULL
                AND s.starts_at > p_now
                AND NOT scheduling_internal.session_is_full(s.capacity, s.current_attendees)
                AND NOT EXISTS (
                    SELECT 1
                    FROM scheduling.bookings AS b
                    WHERE b.session_id = s.id AND b.person_id = p_person_id AND b.status <> 'cancelled'
                )
            ORDER BY s.starts_at, s.id
        LOOP
            SELECT s.* INTO v_session FROM scheduling.sessions AS s WHERE s.id = v_candidate FOR UPDATE;
            CONTINUE WHEN v_session.status <> 'scheduled' OR v_session.deleted_at IS NOT NULL
                OR v_session.starts_at <= p_now
                OR scheduling_internal.session_is_full(v_session.capacity, v_session.current_attendees);

            v_booking_id := scheduling.create_booking(v_session.id, p_person_id, p_order_reference, p_actor, p_now);
            IF p_order_reference IS NOT NULL THEN
                INSERT INTO scheduling.order_items (
                    order_reference, workshop_id, session_id, run_id, person_id, booking_id, created_at
                )
                VALUES (
                    p_order_reference, p_workshop_id, v_session.id, v_session.workshop_run_id, p_person_id,
                    v_booking_id, p_now
                );
            END IF;

            booking_id := v_booking_id;
            session_id := v_session.id;
            run_id := v_session.workshop_run_id;
            day_number := v_session.day_number;
            starts_at := v_session.starts_at;
            RETURN NEXT;
            RETURN;
        END LOOP;
    END IF;

    RAISE EXCEPTION USING
        ERRCODE = 'SK032',
        MESSAGE = format(
            'no session of workshop %s is available at %s: all are full, cancelled, past or already booked%s',
            p_workshop_id, p_now, CASE WHEN v_workshop.is_active THEN '' ELSE ' (the workshop is inactive)' END
        );
END;
$function$;

COMMENT ON FUNCTION scheduling.book_next_available(uuid, uuid, text, text, timestamptz) IS
'The next available session for an order, booked atomically: the earliest session of the (active) workshop that '
'is scheduled, not started at p_now, not full (0 = unlimited) and not already booked by the person, locked '
'and re-checked before create_booking (reminders planned; an order item with p_order_reference). Concurrent '
'callers never overbook. Returns the booking and its session. Errors: SK028 unknown workshop, SK007 unknown '
'person, SK032 none left.'
' Input limits: SK009 p_now NULL or infinite, SK034 p_order_reference or p_actor over 200 characters.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: those of create_booking (booking and booking_status_history rows, reminders planned, '
'sessions.current_attendees + 1); inserts a scheduling.order_items row when p_order_reference is given.';

GRANT EXECUTE ON FUNCTION scheduling.book_next_available(uuid, uuid, text, text, timestamptz) TO sessionkeeper_app;
