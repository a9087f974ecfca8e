CREATE OR REPLACE FUNCTION scheduling_internal.cancel_open_reminders(
    p_booking_id uuid,
    p_session_id uuid,
    p_keep_slot_version integer,
    p_state scheduling.reminder_state,
    p_reason text,
    p_now timestamptz DEFAULT now(),
    p_reason_at timestamptz DEFAULT NULL
)
RETURNS integer
LANGUAGE plpgsql
AS $function$
DECLARE
    v_count integer;
BEGIN
    IF p_booking_id IS NULL AND p_session_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'SK009', MESSAGE = 'cancel_open_reminders needs a booking or a session';
    END IF;
    IF p_state NOT IN ('cancelled', 'expired', 'skipped') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK009',
            MESSAGE = format('cancel_open_reminders cannot close rows as %s', p_state);
    END IF;

    -- The attempt token is kept: a worker that claimed a row before the change can still record what
    -- happened to its send (the row keeps its closed state).
    UPDATE scheduling.reminders AS r
    SET
        state = p_state,
        state_reason = p_reason || coalesce(
            ' ' || scheduling_internal.format_local_time(
                p_reason_at, (SELECT p.time_zone FROM scheduling.people AS p WHERE p.id = r.person_id)
            ),
            ''
        ),
        lease_expires_at = NULL,
        updated_at = p_now
    WHERE
        r.kind IN ('reminder', 'waitlist')
        AND r.state IN ('pending', 'leased')
        AND (p_booking_id IS NULL OR r.booking_id = p_booking_id)
        AND (p_session_id IS NULL OR r.session_id = p_session_id)
        AND (p_keep_slot_version IS NULL OR r.slot_version <> p_keep_slot_version);

    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.cancel_open_reminders(
    uuid, uuid, integer, scheduling.reminder_state, text, timestamptz, timestamptz
) IS
'Internal: closes the pending and leased rows of kind reminder and waitlist (cancellation messages are kept) of a '
'booking and/or a session, except those of slot p_keep_slot_version, as p_state (cancelled, expired or '
'skipped) with p_reason, followed by p_reason_at when given, in each row''s recipient''s local time '
'(format_local_time). Sent rows are never touched. Returns the number of rows closed.'
' Side effects: updates scheduling.reminders, each logged in reminder_state_history by trigger reminders_history.';
