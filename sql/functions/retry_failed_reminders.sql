CREATE OR REPLACE FUNCTION scheduling.retry_failed_reminders(
    p_since timestamptz DEFAULT NULL,
    p_error_code text DEFAULT NULL,
    p_actor text DEFAULT session_user,
    p_now timestamptz DEFAULT now()
)
RETURNS integer
LANGUAGE plpgsql
AS $function$
DECLARE
    v_requeued integer;
BEGIN
    PERFORM scheduling_internal.check_now('retry_failed_reminders', p_now);
    IF p_actor IS NULL OR btrim(p_actor) = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'SK009', MESSAGE = 'retry_failed_reminders: p_actor must not be blank';
    END IF;

    WITH chosen AS (
        SELECT
            r.id,
            p.time_zone
        FROM scheduling.reminders AS r
        LEFT JOIN scheduling.people AS p ON r.person_id = p.id
        WHERE
            r.state = 'failed'
            AND (p_since IS NULL OR r.updated_at >= p_since)
            AND (p_error_code IS NULL OR r.last_error_code = p_error_code)
        FOR UPDATE OF r
    ),

    changed AS (
        UPDATE scheduling.reminders AS r
        SET
            state = (CASE WHEN r.deadline_at <= p_now THEN 'expired' ELSE 'pending' END)::scheduling.reminder_state,
            attempts = CASE WHEN r.deadline_at <= p_now THEN r.attempts ELSE 0 END,
            lease_expiries = CASE WHEN r.deadline_at <= p_now THEN r.lease_expiries ELSE 0 END,
            next_attempt_at = CASE WHEN r.deadline_at <= p_now THEN r.next_attempt_at ELSE p_now END,
            attempt_token = CASE WHEN r.deadline_at <= p_now THEN r.attempt_token END,
            lease_expires_at = NULL,
            state_reason = CASE
                WHEN r.deadline_at <= p_now
                    THEN format(
                        'retry requested by %s after the deadline %s', p_actor,
                        scheduling_internal.format_local_time(r.deadline_at, c.time_zone)
                    )
                ELSE format('re-queued by %s (was failed: %s)', p_actor, coalesce(r.state_reason, 'no reason'))
            END,
            updated_at = p_now
        FROM chosen AS c
        WHERE r.id = c.id
        RETURNING r.state
    )

    SELECT count(*) FILTER (WHERE ch.state = 'pending')::integer
    INTO v_requeued
    FROM changed AS ch;

    -- Wake the workers: the re-queued rows are due now.
    IF v_requeued > 0 THEN
        PERFORM pg_notify('scheduling_reminders_due', p_now::text);
    END IF;

    RETURN v_requeued;
END;
$function$;

COMMENT ON FUNCTION scheduling.retry_failed_reminders(timestamptz, text, text, timestamptz) IS
'Retries failed sends: failed rows (that failed, by updated_at, at or after p_since when given; '
'whose last_error_code is p_error_code when given) go back to pending, due at p_now, attempts and '
'lease_expiries reset to 0 (so a row failed by the claim for too many lease expiries is handed out again); the '
'history row (state_reason) names p_actor and the earlier failure; last_error_code and last_error_message are '
'kept. Rows whose deadline has passed become expired instead (the reason names the deadline in the recipient''s '
'local time). Returns the number re-queued only (expired '
'ones not counted). Rows whose booking, session or recipient changed meanwhile are re-queued too: the claim''s '
're-check skips them with the reason. Sends NOTIFY scheduling_reminders_due when something was re-queued. '
'Errors: SK009 blank actor, NULL p_now.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: updates scheduling.reminders (failed -> pending or expired), each logged in '
'reminder_state_history by trigger reminders_history; NOTIFY scheduling_reminders_due when a row was re-queued.';
