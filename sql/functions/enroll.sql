-- SECURITY DEFINER: apps hold no table privileges; this function is how they change these rows, with its checks.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.enroll(
    p_session_id uuid,
    p_person_id uuid,
    p_order_reference text DEFAULT NULL,
    p_whole_run boolean DEFAULT FALSE,
    p_waitlist boolean DEFAULT TRUE,
    p_actor text DEFAULT session_user,
    p_now timestamptz DEFAULT now()
)
RETURNS TABLE (session_id uuid, day_number integer, booking_id uuid, waitlist_entry_id bigint, outcome text)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    v_first scheduling.sessions;
    v_session scheduling.sessions;
    v_sessions scheduling.sessions[];
    v_workshop_id uuid;
    v_booking_id uuid;
    v_entry_id bigint;
    v_session_ids uuid[];
    v_all_full boolean;
    v_waiting boolean;
    v_booked boolean;
    v_person_live boolean;
BEGIN
    PERFORM scheduling_internal.check_actor_and_now('enroll', p_actor, p_now);
    PERFORM scheduling_internal.check_text_length('enroll: p_order_reference', p_order_reference, 'name');
    SELECT s.* INTO v_first FROM scheduling.sessions AS s WHERE s.id = p_session_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK001',
            MESSAGE = format('cannot enroll in session %s: session not found', coalesce(p_session_id::text, 'NULL'));
    END IF;

    -- The sessions concerned, in id order (the order every caller locks them in), and whether all of them looked
    -- full in this snapshot. One session unless the whole run is asked for.
    IF p_whole_run AND v_first.workshop_run_id IS NOT NULL THEN
        SELECT
            array_agg(s.id ORDER BY s.id),
            bool_and(coalesce(scheduling_internal.session_is_full(s.capacity, s.current_attendees), FALSE))
        INTO v_session_ids, v_all_full
        FROM scheduling.sessions AS s
        WHERE
            s.id = p_session_id
            OR (s.workshop_run_id = v_first.workshop_run_id AND s.deleted_at IS NULL AND s.status <> 'cancelled');
    ELSE
        v_session_ids := ARRAY[p_session_id];
        v_all_full := coalesce(scheduling_internal.session_is_full(v_first.capacity, v_first.current_attendees), FALSE);
    END IF;

    -- Lock every session concerned before looking at seats: with the rows locked, the counts read below cannot
    -- change until this transaction ends. The locking statement returns the rows as locked (their latest
    -- version), in the order they are enrolled in. When all of them are full the caller only joins waitlists,
    -- which takes no seat: FOR SHARE lets such callers go side by side, while bookings, cancellations and every
    -- change of the session row still wait for them. Should a seat have come free meanwhile, the shared locks are
    -- let go (the block rolls back) and the sessions are locked FOR UPDATE like for any booking.
    IF v_all_full THEN
        BEGIN
            SELECT
                array_agg(l.locked ORDER BY (l.locked).day_number, (l.locked).starts_at),
                bool_and(
                    coalesce(
                        scheduling_internal.session_is_full((l.locked).capacity, (l.locked).current_attendees), FALSE
                    )
                )
            INTO v_sessions, v_all_full
            FROM (
                SELECT s AS locked
                FROM scheduling.sessions AS s
                WHERE
                    s.id = ANY(v_session_ids)
                    AND (s.id = p_session_id OR (s.deleted_at IS NULL AND s.status <> 'cancelled'))
                ORDER BY s.id
                FOR SHARE
            ) AS l;
            IF NOT v_all_full THEN
                RAISE EXCEPTION USING
                    ERRCODE = 'SK068',
                    MESSAGE = format('enroll: a seat came free in session %s; locking it for a booking', p_session_id);
            END IF;
        EXCEPTION WHEN SQLSTATE 'SK068' THEN
            v_all_full := FALSE;
        END;
    END IF;
    IF NOT v_all_full THEN
        SELECT array_agg(l.locked ORDER BY (l.locked).day_number, (l.locked).starts_at)
        INTO v_sessions
        FROM (
            SELECT s AS locked
            FROM scheduling.sessions AS s
            WHERE
                s.id = ANY(v_session_ids)
                AND (s.id = p_session_id OR (s.deleted_at IS NULL AND s.status <> 'cancelled'))
            ORDER BY s.id
            FOR UPDATE
        ) AS l;
    END IF;
    IF p_order_reference IS NOT NULL THEN
        SELECT r.workshop_id INTO v_workshop_id FROM scheduling.workshop_runs AS r WHERE r.id = v_first.workshop_run_id;
    END IF;

    FOREACH v_session IN ARRAY coalesce(v_sessions, ARRAY[]::scheduling.sessions[]) LOOP
        IF v_session.deleted_at IS NOT NULL THEN
            RAISE EXCEPTION USING
                ERRCODE = 'SK002',
                MESSAGE = format('cannot enroll in session %s: it was deleted at %s', v_session.id, v_session.deleted_at);
        END IF;
        IF v_session.status <> 'scheduled' THEN
            RAISE EXCEPTION USING
                ERRCODE = 'SK003',
                MESSAGE = format('cannot enroll in session %s: it is %s', v_session.id, v_session.status);
        END IF;
        IF v_session.starts_at <= p_now THEN
            RAISE EXCEPTION USING
                ERRCODE = 'SK008',
                MESSAGE = format('cannot enroll in session %s: it started at %s', v_session.id, v_session.starts_at);
        END IF;
        -- What the person already has here, read in one statement.
        SELECT
            EXISTS (
                SELECT 1
                FROM scheduling.waitlist_entries AS w
                WHERE w.session_id = v_session.id AND w.person_id = p_person_id AND w.status = 'waiting'
            ),
            EXISTS (
                SELECT 1
                FROM scheduling.bookings AS b
                WHERE b.session_id = v_session.id AND b.person_id = p_person_id AND b.status <> 'cancelled'
            ),
            EXISTS (SELECT 1 FROM scheduling.people AS p WHERE p.id = p_person_id AND p.deleted_at IS NULL)
        INTO v_waiting, v_booked, v_person_live;
        IF v_waiting THEN
            RAISE EXCEPTION USING
                ERRCODE = 'SK011',
                MESSAGE = format('person %s is already on the waitlist of session %s', p_person_id, v_session.id);
        END IF;

        v_booking_id := NULL;
        v_entry_id := NULL;
        IF scheduling_internal.session_is_full(v_session.capacity, v_session.current_attendees) THEN
            IF NOT coalesce(p_waitlist, TRUE) THEN
                RAISE EXCEPTION USING
                    ERRCODE = 'SK012',
                    MESSAGE = format(
                        'session %s is full: %s of %s seats taken',
                        v_session.id, v_session.current_attendees, v_session.capacity
                    );
            END IF;
            IF v_booked THEN
                RAISE EXCEPTION USING
                    ERRCODE = 'SK011',
                    MESSAGE = format('person %s already has a booking in session %s', p_person_id, v_session.id);
            END IF;
            IF NOT v_person_live THEN
                RAISE EXCEPTION USING
                    ERRCODE = 'SK007',
                    MESSAGE = format('cannot enroll: person %s not found or deleted', coalesce(p_person_id::text, 'NULL'));
            END IF;
            -- Callers joining the waitlist run side by side (FOR SHARE): the unique index decides between two
            -- waiting entries of one person (waitlist_entries_waiting_key), and the second is told as the EXISTS
            -- above would have told it.
            INSERT INTO scheduling.waitlist_entries AS w (session_id, person_id, order_reference, created_at)
            VALUES (v_session.id, p_person_id, p_order_reference, p_now)
            ON CONFLICT DO NOTHING
            RETURNING w.id INTO v_entry_id;
            IF v_entry_id IS NULL THEN
                RAISE EXCEPTION USING
                    ERRCODE = 'SK011',
                    MESSAGE = format('person %s is already on the waitlist of session %s', p_person_id, v_session.id);
            END IF;
        ELSE
            -- bookings_validate checks the person, a second booking (SK011) and the seats again.
            v_booking_id := scheduling.create_booking(v_session.id, p_person_id, p_order_reference, p_actor, p_now);
        END IF;

        IF p_order_reference IS NOT NULL THEN
            INSERT INTO scheduling.order_items (
                order_reference, workshop_id, session_id, run_id, person_id, booking_id, waitlist_entry_id, created_at
            )
            VALUES (
                p_order_reference, v_workshop_id, v_session.id, v_session.workshop_run_id, p_person_id,
                v_booking_id, v_entry_id, p_now
            );
        END IF;

        session_id := v_session.id;
        day_number := v_session.day_number;
        booking_id := v_booking_id;
        waitlist_entry_id := v_entry_id;
        outcome := CASE WHEN v_booking_id IS NULL THEN 'waitlisted' ELSE 'confirmed' END;
        RETURN NEXT;
    END LOOP;
END;
$function$;

COMMENT ON FUNCTION scheduling.enroll(uuid, uuid, text, boolean, boolean, text, timestamptz) IS
'Enrolls a person in a session (p_whole_run: in every session of its workshop run that is not cancelled) '
'through create_booking, so reminders are planned; a full session puts them on its waitlist (p_waitlist) '
'or raises SK012. With p_order_reference an order item is written per session. The sessions are locked in '
'id order first, so concurrent enrollments never overbook: FOR SHARE when every one of them is full (callers '
'only joining waitlists go side by side; SK068, caught inside, lets those locks go when a seat came free '
'meanwhile), else FOR UPDATE. One row per session: its booking or waitlist '
'entry and outcome (confirmed, waitlisted). Errors: SK001 unknown session, SK002 deleted, SK003 not '
'scheduled (cancelled, completed), SK008 already started at p_now, SK011 already booked or waitlisted, SK012 '
'full, SK007 unknown person. All or nothing.'
' Input limits: SK009 p_now NULL or infinite, SK034 p_order_reference or p_actor over 200 characters.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: per session, create_booking''s (booking and booking_status_history rows, reminders planned, '
'sessions.current_attendees + 1) or a scheduling.waitlist_entries row; a scheduling.order_items row per session '
'when p_order_reference is given.';

GRANT EXECUTE ON FUNCTION scheduling.enroll(
    uuid, uuid, text, boolean, boolean, text, timestamptz
) TO sessionkeeper_app;
