CREATE OR REPLACE FUNCTION scheduling_internal.lock_reminder_for_worker(
    p_reminder_id uuid,
    p_attempt_token uuid,
    p_action text
)
RETURNS scheduling.reminders
LANGUAGE plpgsql
AS $function$
DECLARE
    v_reminder scheduling.reminders;
BEGIN
    SELECT r.*
    INTO v_reminder
    FROM scheduling.reminders AS r
    WHERE r.id = p_reminder_id
    FOR UPDATE;

    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK019',
            MESSAGE = format('cannot %s reminder %s: reminder not found', p_action, coalesce(p_reminder_id::text, 'NULL'));
    END IF;

    IF p_attempt_token IS NULL OR v_reminder.attempt_token IS DISTINCT FROM p_attempt_token THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK018',
            MESSAGE = format(
                'cannot %s reminder %s: attempt token %s is not its current one (state %s)',
                p_action, v_reminder.reminder_key, coalesce(p_attempt_token::text, 'NULL'), v_reminder.state
            ),
            HINT = 'The lease expired and the row was claimed again, or it was released or retried: '
            || 'drop this attempt.';
    END IF;

    RETURN v_reminder;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.lock_reminder_for_worker(uuid, uuid, text) IS
'Internal helper of record_reminder_sent, record_reminder_failure and release_reminder: locks the outbox row '
'and returns it. SK019 when it does not exist, SK018 when p_attempt_token is not its current attempt token '
'(stale after a re-claim, cleared by a release or a retry, or wrong).'
' Side effects: locks the reminder row (FOR UPDATE); writes nothing.';
