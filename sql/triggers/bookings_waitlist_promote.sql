CREATE OR REPLACE FUNCTION scheduling_internal.bookings_waitlist_promote()
RETURNS trigger
LANGUAGE plpgsql
AS $function$
BEGIN
    PERFORM scheduling_internal.promote_waitlist(NEW.session_id, coalesce(NEW.cancelled_at, NEW.updated_at));
    RETURN NULL;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.bookings_waitlist_promote() IS
'Trigger function, after a confirmed booking stopped being confirmed (cancelled by cancel_booking or a direct '
'UPDATE): books the first people of the session''s waitlist into the freed seat (promote_waitlist, p_now = '
'cancelled_at, else updated_at). '
'Side effects: those of promote_waitlist (bookings created with their reminders, waitlist_entries updated, '
'seat-found messages queued in scheduling.reminders).';

-- Triggers of one event fire in name order: this one comes after bookings_track_attendees, so the freed seat is
-- already counted in sessions.current_attendees when promote_waitlist looks for room.
CREATE OR REPLACE TRIGGER bookings_waitlist_promote
AFTER UPDATE OF status ON scheduling.bookings
FOR EACH ROW
WHEN (old.status = 'confirmed' AND new.status <> 'confirmed')
EXECUTE FUNCTION scheduling_internal.bookings_waitlist_promote();

COMMENT ON TRIGGER bookings_waitlist_promote ON scheduling.bookings IS
'Promotes the waitlist of the session when one of its confirmed bookings is cancelled.';
