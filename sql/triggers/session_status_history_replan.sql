CREATE OR REPLACE FUNCTION scheduling_internal.session_status_history_replan()
RETURNS trigger
LANGUAGE plpgsql
AS $function$
DECLARE
    v_session scheduling.sessions;
    v_booking_id uuid;
    v_reason text;
BEGIN
    -- The lifecycle functions write one history row per change, after the session row, with p_now as
    -- happened_at: the history insert is where the change and its logical time are both known.
    SELECT s.* INTO v_session FROM scheduling.sessions AS s WHERE s.id = NEW.session_id;

    IF v_session.deleted_at IS NOT NULL THEN
        PERFORM scheduling_internal.cancel_open_reminders(
            NULL, v_session.id, NULL, 'cancelled',
            'session deleted' || coalesce(': ' || v_session.deleted_reason, ''), NEW.happened_at
        );
    ELSIF v_session.status = 'scheduled' THEN
        IF NEW.from_status IS NULL THEN
            RETURN NULL; -- creation: no bookings yet
        END IF;
        PERFORM scheduling_internal.cancel_open_reminders(
            NULL, v_session.id, v_session.slot_version, 'cancelled',
            format('session rescheduled to %s (slot %s)', v_session.starts_at, v_session.slot_version),
            NEW.happened_at
        );
        FOR v_booking_id IN
            SELECT b.id
            FROM scheduling.bookings AS b
            WHERE b.session_id = v_session.id AND b.status = 'confirmed'
            ORDER BY b.created_at, b.id
        LOOP
            PERFORM scheduling_internal.plan_booking_reminders(v_booking_id, NEW.happened_at);
        END LOOP;
    ELSIF v_session.status IN ('cancelled', 'no_show') THEN
        v_reason := CASE
            WHEN v_session.status = 'cancelled'
                THEN 'session cancelled' || coalesce(': ' || v_session.cancel_reason, '')
            ELSE 'session marked no-show'
        END;
        PERFORM scheduling_internal.cancel_open_reminders(
            NULL, v_session.id, NULL, 'cancelled', v_reason, NEW.happened_at
        );
        IF NEW.from_status = 'scheduled' AND NEW.to_status = 'cancelled'
            AND v_session.starts_at > NEW.happened_at THEN
            FOR v_booking_id IN
                SELECT b.id
                FROM scheduling.bookings AS b
                WHERE b.session_id = v_session.id AND b.status = 'confirmed'
                ORDER BY b.created_at, b.id
            LOOP
                PERFORM scheduling_internal.queue_cancellation_message(v_booking_id, v_reason, NEW.happened_at);
            END LOOP;
        END IF;
    ELSE
        PERFORM scheduling_internal.cancel_open_reminders(
            NULL, v_session.id, NULL, 'expired',
            format('session went %s before the reminder was sent', v_session.status), NEW.happened_at
        );
    END IF;
    RETURN NULL;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.session_status_history_replan() IS
'Trigger function, after a manual or automatic session history row: replans the session''s reminders in '
'the same transaction, with happened_at as p_now. Rescheduled (scheduled again, not a creation): pending and '
'leased reminders of older slots cancelled, reminders planned for the new slot for every confirmed booking. '
'Cancelled or no-show: open reminders cancelled; a cancellation message queued per confirmed booking when a '
'scheduled session whose start is still ahead was cancelled. Deleted: open reminders cancelled (no message). '
'Started or completed: open reminders expired. Sent rows are never touched.';

CREATE OR REPLACE TRIGGER session_status_history_replan
AFTER INSERT ON scheduling.session_status_history
FOR EACH ROW
WHEN (new.reason IN ('manual', 'automatic'))
EXECUTE FUNCTION scheduling_internal.session_status_history_replan();

COMMENT ON TRIGGER session_status_history_replan ON scheduling.session_status_history IS
'Replans reminder rows on every session change (reschedule, cancel, no-show, delete, start, completion).';
