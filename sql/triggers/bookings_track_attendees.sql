CREATE OR REPLACE FUNCTION scheduling_internal.bookings_track_attendees()
RETURNS trigger
LANGUAGE plpgsql
AS $function$
DECLARE
    v_delta integer := 0;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status = 'confirmed' THEN
            v_delta := 1;
        END IF;
    ELSIF OLD.status = 'confirmed' AND NEW.status <> 'confirmed' THEN
        v_delta := -1;
    ELSIF OLD.status <> 'confirmed' AND NEW.status = 'confirmed' THEN
        v_delta := 1;
    END IF;

    IF v_delta = 0 THEN
        RETURN NULL;
    END IF;

    -- The session row is already locked by bookings_validate (insert) or cancel_booking. A deleted session
    -- accepts no update (SK002): its count stays as it was.
    UPDATE scheduling.sessions AS s
    SET current_attendees = greatest(s.current_attendees + v_delta, 0)
    WHERE s.id = NEW.session_id AND s.deleted_at IS NULL;
    RETURN NULL;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.bookings_track_attendees() IS
'Trigger function, after a booking is written: keeps sessions.current_attendees equal to the confirmed '
'bookings of the session (+1 on a confirmed insert, -1 when one is cancelled; a deleted session keeps its count). '
'The freed seat then goes to the waitlist through trigger bookings_waitlist_promote. '
'Side effects: updates scheduling.sessions.current_attendees.';

CREATE OR REPLACE TRIGGER bookings_track_attendees
AFTER INSERT OR UPDATE OF status ON scheduling.bookings
FOR EACH ROW EXECUTE FUNCTION scheduling_internal.bookings_track_attendees();

COMMENT ON TRIGGER bookings_track_attendees ON scheduling.bookings IS
'Drives sessions.current_attendees from the bookings.';
