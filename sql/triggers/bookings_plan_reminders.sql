CREATE OR REPLACE FUNCTION scheduling_internal.bookings_plan_reminders()
RETURNS trigger
LANGUAGE plpgsql
AS $function$
DECLARE
    v_session scheduling.sessions;
    v_reason text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM scheduling_internal.plan_booking_reminders(NEW.id, NEW.created_at);
        RETURN NULL;
    END IF;

    IF OLD.status = 'confirmed' AND NEW.status = 'cancelled' THEN
        v_reason := 'booking cancelled' || coalesce(': ' || NEW.cancel_reason, '');
        PERFORM scheduling_internal.cancel_open_reminders(NEW.id, NULL, NULL, 'cancelled', v_reason, NEW.cancelled_at);

        SELECT s.* INTO v_session FROM scheduling.sessions AS s WHERE s.id = NEW.session_id;
        IF v_session.status = 'scheduled' AND v_session.deleted_at IS NULL
            AND v_session.starts_at > NEW.cancelled_at THEN
            PERFORM scheduling_internal.queue_cancellation_message(NEW.id, v_reason, NEW.cancelled_at);
        END IF;
    END IF;
    RETURN NULL;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.bookings_plan_reminders() IS
'Trigger function, after a booking is written, in the same transaction: a new booking gets its reminders '
'planned (p_now = created_at); a booking going confirmed -> cancelled gets its pending and leased reminders '
'cancelled with the reason and, when its session is still scheduled and ahead, a cancellation message '
'queued (p_now = cancelled_at).'
' Side effects: inserts reminder rows (plan_booking_reminders, queue_cancellation_message) or closes them '
'(cancel_open_reminders) in scheduling.reminders, each logged in reminder_state_history by trigger '
'reminders_history, which also sends NOTIFY scheduling_reminders_due for a row due within a minute.';

CREATE OR REPLACE TRIGGER bookings_plan_reminders
AFTER INSERT OR UPDATE OF status ON scheduling.bookings
FOR EACH ROW EXECUTE FUNCTION scheduling_internal.bookings_plan_reminders();

COMMENT ON TRIGGER bookings_plan_reminders ON scheduling.bookings IS
'Plans and cancels reminder rows in the transaction that creates or cancels a booking.';
