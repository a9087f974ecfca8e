CREATE OR REPLACE FUNCTION scheduling_internal.reminders_history()
RETURNS trigger
LANGUAGE plpgsql
AS $function$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.state IS NOT DISTINCT FROM OLD.state THEN
        RETURN NULL;
    END IF;

    INSERT INTO scheduling.reminder_state_history (reminder_id, from_state, to_state, reason, attempts, happened_at)
    VALUES (
        NEW.id,
        CASE WHEN TG_OP = 'UPDATE' THEN OLD.state END,
        NEW.state,
        coalesce(
            NEW.state_reason,
            CASE WHEN NEW.last_error_code IS NOT NULL THEN NEW.last_error_code || ': ' || NEW.last_error_message END
        ),
        NEW.attempts,
        NEW.updated_at
    );

    -- Wake a worker when a row is planned that is due now or within the next minute.
    IF TG_OP = 'INSERT' AND NEW.state = 'pending' AND NEW.next_attempt_at <= NEW.created_at + interval '1 minute' THEN
        PERFORM pg_notify('scheduling_reminders_due', NEW.next_attempt_at::text);
    END IF;

    RETURN NULL;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.reminders_history() IS
'Trigger function: writes a reminder_state_history row for every planned row and every state change '
'(happened_at = the row''s updated_at, the p_now of the change), and sends NOTIFY scheduling_reminders_due '
'(payload: the due time as text) when a pending row is planned due within a minute of its planning time.'
' Side effects: inserts scheduling.reminder_state_history rows; NOTIFY scheduling_reminders_due.';

CREATE OR REPLACE TRIGGER reminders_history
AFTER INSERT OR UPDATE ON scheduling.reminders
FOR EACH ROW EXECUTE FUNCTION scheduling_internal.reminders_history();

COMMENT ON TRIGGER reminders_history ON scheduling.reminders IS
'History of every state change of an outbox row, and the wake-up NOTIFY for rows due now.';
