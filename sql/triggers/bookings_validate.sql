CREATE OR REPLACE FUNCTION scheduling_internal.bookings_validate()
RETURNS trigger
LANGUAGE plpgsql
AS $function$
DECLARE
    v_session scheduling.sessions;
    v_person_deleted_at timestamptz;
    v_taken integer;
BEGIN
    PERFORM
        scheduling_internal.check_text_length('booking order_reference', NEW.order_reference, 'name'),
        scheduling_internal.check_text_length('booking cancel_reason', NEW.cancel_reason, 'free_text');

    IF TG_OP = 'UPDATE' THEN
        IF NEW.session_id IS DISTINCT FROM OLD.session_id
            OR NEW.person_id IS DISTINCT FROM OLD.person_id
            OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
            RAISE EXCEPTION USING
                ERRCODE = 'SK009',
                MESSAGE = format('booking %s: its session, person and creation time cannot change', OLD.id),
                HINT = 'Cancel it and create another booking.';
        END IF;
        IF OLD.status = 'cancelled' AND NEW.status IS DISTINCT FROM OLD.status THEN
            RAISE EXCEPTION USING
                ERRCODE = 'SK013',
                MESSAGE = format('booking %s is cancelled; it cannot become %s', OLD.id, NEW.status);
        END IF;
        RETURN NEW;
    END IF;

    -- INSERT. The session row lock serialises bookings of one session: capacity and the one-booking-per-person
    -- rule hold under concurrency.
    SELECT s.*
    INTO v_session
    FROM scheduling.sessions AS s
    WHERE s.id = NEW.session_id
    FOR UPDATE;

    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK001',
            MESSAGE = format('cannot book session %s: session not found', coalesce(NEW.session_id::text, 'NULL'));
    END IF;

    IF v_session.deleted_at IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK002',
            MESSAGE = format('cannot book session %s: it was deleted at %s', v_session.id, v_session.deleted_at);
    END IF;

    IF v_session.status <> 'scheduled' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK003',
            MESSAGE = format('cannot book session %s: it is %s', v_session.id, v_session.status),
            HINT = 'Only a scheduled session can be booked.';
    END IF;

    SELECT p.deleted_at INTO v_person_deleted_at FROM scheduling.people AS p WHERE p.id = NEW.person_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK007',
            MESSAGE = format('cannot book: person %s not found', coalesce(NEW.person_id::text, 'NULL'));
    END IF;
    IF v_person_deleted_at IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK007',
            MESSAGE = format('cannot book: person %s is deleted (at %s)', NEW.person_id, v_person_deleted_at);
    END IF;

    IF NEW.status IS DISTINCT FROM 'confirmed' THEN
        RAISE EXCEPTION USING ERRCODE = 'SK009', MESSAGE = 'a new booking must be confirmed';
    END IF;

    IF EXISTS (
        SELECT 1
        FROM scheduling.bookings AS b
        WHERE b.session_id = NEW.session_id AND b.person_id = NEW.person_id AND b.status <> 'cancelled'
    ) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK011',
            MESSAGE = format('person %s already has a booking in session %s', NEW.person_id, NEW.session_id);
    END IF;

    IF v_session.capacity > 0 THEN -- unlimited: nothing to count
        SELECT count(*)::integer
        INTO v_taken
        FROM scheduling.bookings AS b
        WHERE b.session_id = NEW.session_id AND b.status <> 'cancelled';

        IF scheduling_internal.session_is_full(v_session.capacity, v_taken) THEN
            RAISE EXCEPTION USING
                ERRCODE = 'SK012',
                MESSAGE = format(
                    'session %s is full: %s of %s seats taken', v_session.id, v_taken, v_session.capacity
                );
        END IF;
    END IF;

    NEW.created_at := coalesce(NEW.created_at, now());
    NEW.updated_at := coalesce(NEW.updated_at, NEW.created_at);
    NEW.booked_slot_version := v_session.slot_version;
    RETURN NEW;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.bookings_validate() IS
'Trigger function: validates a booking before INSERT/UPDATE. On INSERT it locks the session row (so '
'concurrent bookings cannot overbook) and raises SK001 (unknown session), SK002 (deleted), SK003 (not '
'scheduled), SK007 (person unknown or deleted), SK011 (the person already holds a booking in it), SK012 '
'(full; capacity 0 = unlimited), SK009 (not confirmed); it records booked_slot_version. On UPDATE: SK009 '
'(session, person or created_at changed), SK013 (a cancelled booking changes status). Both: SK034 (order_reference '
'over 200 characters, cancel_reason over 2000).'
' Side effects: on INSERT locks the session row (FOR UPDATE); fills the row''s booked_slot_version, created_at '
'and updated_at; writes nothing else.';

CREATE OR REPLACE TRIGGER bookings_validate
BEFORE INSERT OR UPDATE ON scheduling.bookings
FOR EACH ROW EXECUTE FUNCTION scheduling_internal.bookings_validate();

COMMENT ON TRIGGER bookings_validate ON scheduling.bookings IS
'Validates every written booking so that direct writes and the booking functions raise the same SQLSTATE.';
