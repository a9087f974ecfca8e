CREATE OR REPLACE FUNCTION scheduling_internal.sessions_replan_reminders()
RETURNS trigger
LANGUAGE plpgsql
AS $function$
DECLARE
    -- The logical time of the change: the scheduling functions set changed_at to their p_now.
    v_now timestamptz := coalesce(NEW.changed_at, now());
    v_booking_id uuid;
    v_reason text;
BEGIN
    IF NEW.deleted_at IS NOT NULL THEN
        PERFORM scheduling_internal.cancel_open_reminders(
            NULL, NEW.id, NULL, 'cancelled', 'session deleted' || coalesce(': ' || NEW.deleted_reason, ''), v_now
        );
    ELSIF NEW.status = 'scheduled' THEN
        -- Scheduled again: a new slot (reschedule). Rows of older slots go, the new slot gets its own.
        PERFORM scheduling_internal.cancel_open_reminders(
            NULL, NEW.id, NEW.slot_version, 'cancelled',
            format('session rescheduled (slot %s) to', NEW.slot_version), v_now, NEW.starts_at
        );
        FOR v_booking_id IN
            SELECT b.id
            FROM scheduling.bookings AS b
            WHERE b.session_id = NEW.id AND b.status = 'confirmed'
            ORDER BY b.created_at, b.id
        LOOP
            PERFORM scheduling_internal.plan_booking_reminders(v_booking_id, v_now);
        END LOOP;
    ELSIF NEW.status IN ('cancelled', 'no_show') THEN
        v_reason := CASE
            WHEN NEW.status = 'cancelled' THEN 'session cancelled' || coalesce(': ' || NEW.cancel_reason, '')
            ELSE 'session marked no-show'
        END;
        PERFORM scheduling_internal.cancel_open_reminders(NULL, NEW.id, NULL, 'cancelled', v_reason, v_now);
        IF OLD.status = 'scheduled' AND NEW.status = 'cancelled' AND NEW.starts_at > v_now THEN
            FOR v_booking_id IN
                SELECT b.id
                FROM scheduling.bookings AS b
                WHERE b.session_id = NEW.id AND b.status = 'confirmed'
                ORDER BY b.created_at, b.id
            LOOP
                PERFORM scheduling_internal.queue_cancellation_message(v_booking_id, v_reason, v_now);
            END LOOP;
        END IF;
    ELSE
        PERFORM scheduling_internal.cancel_open_reminders(
            NULL, NEW.id, NULL, 'expired', format('session went %s before the reminder was sent', NEW.status), v_now
        );
    END IF;
    RETURN NULL;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.sessions_replan_reminders() IS
'Trigger function, after a session''s status, slot_version or deleted_at changed, in the same transaction and '
'whoever wrote the row (the scheduling functions, tick or a direct UPDATE): replans the session''s reminders as of '
'changed_at (the p_now of the change; now() when NULL). Rescheduled (scheduled again): pending and leased '
'reminders of older slots cancelled, reminders planned for the new slot for every confirmed booking. Cancelled or '
'no-show: open reminders cancelled; a cancellation message queued per confirmed booking when a scheduled session '
'whose start is still ahead was cancelled. Deleted: open reminders cancelled (no message). Started or completed: '
'open reminders expired. Sent rows are never touched. '
'Side effects: updates scheduling.reminders (cancelled, expired) and inserts reminder and cancellation-message rows '
'(plan_booking_reminders, queue_cancellation_message), each with a reminder_state_history row and, when due within '
'a minute, NOTIFY scheduling_reminders_due (trigger reminders_history).';

CREATE OR REPLACE TRIGGER sessions_replan_reminders
AFTER UPDATE OF status, slot_version, deleted_at ON scheduling.sessions
FOR EACH ROW
WHEN (
    old.status IS DISTINCT FROM new.status
    OR old.slot_version IS DISTINCT FROM new.slot_version
    OR old.deleted_at IS DISTINCT FROM new.deleted_at
)
EXECUTE FUNCTION scheduling_internal.sessions_replan_reminders();

COMMENT ON TRIGGER sessions_replan_reminders ON scheduling.sessions IS
'Cancels, expires and replans reminder rows whenever a session is cancelled, marked no-show, rescheduled, '
'deleted, started or completed, by a function, tick or a direct UPDATE: no reminder goes out for a slot that is '
'no longer on.';
