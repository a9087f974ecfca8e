CREATE OR REPLACE FUNCTION scheduling_internal.failure_outcome(
    p_reminder scheduling.reminders,
    p_failures integer,
    p_retryable boolean,
    p_error_code text,
    p_now timestamptz,
    OUT next_state scheduling.reminder_state,
    OUT retry_at timestamptz,
    OUT reason text
)
LANGUAGE plpgsql
STABLE
AS $function$
DECLARE
    -- Retries after the 1st..5th failure wait 5 s * 5^(n - 1): 5 s, 25 s, 125 s, 625 s, 3125 s.
    c_max_retries CONSTANT integer := 5;
    c_first_delay CONSTANT interval := interval '5 seconds';
    v_time_zone text;
    v_allowed_at timestamptz;
BEGIN
    IF NOT coalesce(p_retryable, FALSE) THEN
        next_state := 'failed';
        reason := format('permanent error %s', coalesce(p_error_code, '(no code)'));
        RETURN;
    END IF;
    IF p_failures > c_max_retries THEN
        next_state := 'failed';
        reason := format('gave up after %s attempts', p_failures);
        RETURN;
    END IF;

    SELECT p.time_zone INTO v_time_zone FROM scheduling.people AS p WHERE p.id = p_reminder.person_id;
    -- The claim paces the person (recipient_pacing): a retry before then could not be claimed anyway.
    SELECT rp.next_allowed_at
    INTO v_allowed_at
    FROM scheduling.recipient_pacing AS rp
    WHERE rp.person_id = p_reminder.person_id;
    retry_at := greatest(p_now + c_first_delay * power(5, p_failures - 1)::integer, v_allowed_at);

    IF retry_at >= p_reminder.deadline_at THEN
        next_state := 'expired';
        reason := format(
            'retry at %s would be past the deadline %s',
            scheduling_internal.format_local_time(retry_at, v_time_zone),
            scheduling_internal.format_local_time(p_reminder.deadline_at, v_time_zone)
        );
        retry_at := NULL;
    ELSE
        next_state := 'pending';
        reason := format(
            'retry %s of %s at %s', p_failures, c_max_retries, scheduling_internal.format_local_time(retry_at, v_time_zone)
        );
    END IF;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.failure_outcome(
    scheduling.reminders, integer, boolean, text, timestamptz
) IS
'Internal, the one backoff rule of the outbox (record_reminder_failure for a failed send, apply_provider_event '
'for a late delivery failure): what becomes of reminder p_reminder after its p_failures-th failed attempt at '
'p_now. Not retryable (or NULL): failed, reason "permanent error CODE". Retryable: pending again at retry_at = '
'p_now + 5 s, 25 s, 125 s, 625 s, 3125 s after the 1st..5th failure, or when the recipient''s spacing allows '
'(recipient_pacing.next_allowed_at), whichever is later; failed at the 6th ("gave up after N attempts"); '
'expired when retry_at would be at or after deadline_at. Reasons give times in the recipient''s time zone '
'(format_local_time). retry_at is NULL unless pending. No errors of its own.'
' Side effects: none (reads people and recipient_pacing).';
