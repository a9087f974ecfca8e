-- SECURITY DEFINER: the worker holds no table privileges; this is one of the few outbox calls it may make.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.release_reminder(
    p_reminder_id uuid,
    p_attempt_token uuid,
    p_retry_at timestamptz DEFAULT NULL,
    p_reason text DEFAULT NULL,
    p_now timestamptz DEFAULT now()
)
RETURNS scheduling.reminder_state
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    v_reminder scheduling.reminders;
    v_next timestamptz;
    v_state scheduling.reminder_state;
    v_time_zone text;
BEGIN
    PERFORM scheduling_internal.check_now('release_reminder', p_now);
    PERFORM scheduling_internal.check_text_length('release_reminder: p_reason', p_reason, 'free_text');
    v_reminder := scheduling_internal.lock_reminder_for_worker(p_reminder_id, p_attempt_token, 'release');

    IF v_reminder.state IN ('cancelled', 'skipped', 'expired') THEN
        RETURN v_reminder.state; -- closed meanwhile: nothing to give back
    END IF;
    IF v_reminder.state <> 'leased' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK018',
            MESSAGE = format('cannot release reminder %s: it is %s', v_reminder.reminder_key, v_reminder.state);
    END IF;

    v_next := coalesce(p_retry_at, p_now);
    SELECT p.time_zone INTO v_time_zone FROM scheduling.people AS p WHERE p.id = v_reminder.person_id;
    v_state := (CASE WHEN v_next >= v_reminder.deadline_at THEN 'expired' ELSE 'pending' END)::scheduling.reminder_state;

    UPDATE scheduling.reminders AS r
    SET
        state = v_state,
        next_attempt_at = v_next,
        attempt_token = NULL,
        lease_expires_at = NULL,
        state_reason = CASE
            WHEN v_state = 'expired'
                THEN format(
                    'released to %s, at or past the deadline %s',
                    scheduling_internal.format_local_time(v_next, v_time_zone),
                    scheduling_internal.format_local_time(r.deadline_at, v_time_zone)
                )
                || coalesce(': ' || p_reason, '')
            ELSE 'released' || coalesce(': ' || p_reason, '')
        END,
        updated_at = p_now
    WHERE r.id = v_reminder.id;

    RETURN v_state;
END;
$function$;

COMMENT ON FUNCTION scheduling.release_reminder(uuid, uuid, timestamptz, text, timestamptz) IS
'Gives a leased row back without burning an attempt (worker shutdown, rate limit, provider outage): pending '
'with next_attempt_at = coalesce(p_retry_at, p_now), attempt token cleared, p_reason kept; expired when that '
'is at or past its deadline (the reason names both times in the recipient''s local time). A row closed '
'meanwhile returns its state unchanged. Errors: SK019 unknown reminder, SK018 stale or wrong attempt token '
'(changes nothing).'
' Input limits: SK009 NULL p_now, SK034 p_reason over 2000 characters.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: updates scheduling.reminders (pending again or expired), with a reminder_state_history row '
'(trigger reminders_history).';

GRANT EXECUTE ON FUNCTION scheduling.release_reminder(
    uuid, uuid, timestamptz, text, timestamptz
) TO sessionkeeper_worker;
