CREATE OR REPLACE FUNCTION scheduling.create_reminder_policy(
    p_name text,
    p_offsets interval [] DEFAULT '{}',
    p_repeat_every interval DEFAULT NULL,
    p_quiet_start time DEFAULT NULL,
    p_quiet_end time DEFAULT NULL,
    p_reminder_template text DEFAULT 'session_reminder',
    p_cancellation_template text DEFAULT 'appointment_cancelled',
    p_language text DEFAULT 'en',
    p_min_lead interval DEFAULT interval '10 minutes'
)
RETURNS uuid
LANGUAGE plpgsql
AS $function$
DECLARE
    v_policy_id uuid;
BEGIN
    -- Validation (SK009, SK015, SK017, SK043) is done by trigger reminder_policies_validate.
    INSERT INTO scheduling.reminder_policies (
        name, offsets, repeat_every, quiet_start, quiet_end, reminder_template, cancellation_template, language,
        min_lead
    )
    VALUES (
        p_name, coalesce(p_offsets, '{}'), p_repeat_every, p_quiet_start, p_quiet_end,
        p_reminder_template, p_cancellation_template, coalesce(p_language, 'en'), p_min_lead
    )
    RETURNING reminder_policies.id INTO v_policy_id;

    RETURN v_policy_id;
END;
$function$;

COMMENT ON FUNCTION scheduling.create_reminder_policy(
    text, interval [], interval, time, time, text, text, text, interval
) IS
'Creates a reminder policy and returns its id: reminders at each of p_offsets before the start and/or every '
'p_repeat_every from the booking time, quiet hours [p_quiet_start, p_quiet_end) in the recipient''s zone; '
'times already past when planned give one reminder at once if at least p_min_lead remains before the start. '
'Errors: SK017 offset not positive or repeat under 1 minute, SK015 unknown template, SK009 blank name or bad '
'quiet hours, SK043 p_min_lead negative or NULL, unique violation (23505) for a name in use.'
' Side effects: inserts a scheduling.reminder_policies row.';
