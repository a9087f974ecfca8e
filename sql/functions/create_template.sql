-- SECURITY DEFINER: apps hold no table privileges; this function is how they change these rows, with its checks.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.create_template(
    p_host_id uuid,
    p_title text,
    p_rrule text,
    p_first_date date,
    p_local_start time,
    p_duration interval,
    p_time_zone text DEFAULT NULL,
    p_capacity integer DEFAULT 1,
    p_start_mode scheduling.session_start_mode DEFAULT 'automatic',
    p_reminder_policy text DEFAULT NULL,
    p_metadata jsonb DEFAULT '{}',
    p_actor text DEFAULT session_user,
    p_now timestamptz DEFAULT now()
)
RETURNS uuid
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    v_policy_id uuid;
    v_template_id uuid;
BEGIN
    PERFORM scheduling_internal.check_now('create_template', coalesce(p_now, now()));
    PERFORM scheduling_internal.check_text_length('create_template: p_reminder_policy', p_reminder_policy, 'name');
    IF p_reminder_policy IS NOT NULL THEN
        SELECT rp.id INTO v_policy_id FROM scheduling.reminder_policies AS rp WHERE rp.name = p_reminder_policy;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING
                ERRCODE = 'SK016', MESSAGE = format('unknown reminder policy %L', p_reminder_policy);
        END IF;
    END IF;

    -- Validation (SK005, SK007, SK009, SK023, SK024, SK025) is done by trigger session_templates_validate.
    INSERT INTO scheduling.session_templates (
        host_id, title, capacity, start_mode, reminder_policy_id, rrule, rule_freq, first_date, local_start,
        duration, time_zone, metadata, created_by, created_at, updated_at
    )
    VALUES (
        p_host_id, p_title, p_capacity, coalesce(p_start_mode, 'automatic'), v_policy_id, p_rrule, 'DAILY',
        p_first_date, p_local_start, p_duration, p_time_zone, coalesce(p_metadata, '{}'),
        coalesce(p_actor, session_user), coalesce(p_now, now()), coalesce(p_now, now())
    )
    RETURNING session_templates.id INTO v_template_id;

    RETURN v_template_id;
END;
$function$;

COMMENT ON FUNCTION scheduling.create_template(
    uuid, text, text, date, time, interval, text, integer, scheduling.session_start_mode, text, jsonb, text,
    timestamptz
) IS
'Creates an active recurring template and returns its id; sessions are made by generate_recurring_sessions. '
'p_rrule is an RRULE of the supported subset (see parse_rrule), DTSTART being p_first_date at p_local_start in '
'p_time_zone (default: the host''s). p_reminder_policy is a policy name (NULL = default). Errors: SK007 unknown '
'or deleted host, SK005 unknown zone, SK023 invalid rule, SK024 COUNT with UNTIL, SK025 duration not positive, '
'SK016 unknown reminder policy, SK009 blank title / negative capacity.'
' Input limits: SK034 title, policy name or p_actor over 200 characters, rule over 500, metadata over 10000 as JSON '
'text; SK009 a first date outside the years 1900 to 9999.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: inserts a scheduling.session_templates row (no session yet).';

GRANT EXECUTE ON FUNCTION scheduling.create_template(
    uuid, text, text, date, time, interval, text, integer, scheduling.session_start_mode, text, jsonb, text, timestamptz
) TO sessionkeeper_app;
