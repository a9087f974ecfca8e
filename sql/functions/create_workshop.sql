-- SECURITY DEFINER: apps hold no table privileges; this function is how they change these rows, with its checks.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.create_workshop(
    p_host_id uuid,
    p_title text,
    p_default_capacity integer DEFAULT 0,
    p_time_zone text DEFAULT NULL,
    p_reminder_policy text DEFAULT NULL,
    p_description text DEFAULT NULL
)
RETURNS uuid
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    v_host scheduling.people;
    v_time_zone text;
    v_policy_id uuid;
    v_id uuid;
BEGIN
    PERFORM
        scheduling_internal.check_title('workshop', p_title),
        scheduling_internal.check_text_length('workshop time zone', p_time_zone, 'name'),
        scheduling_internal.check_text_length('workshop reminder policy', p_reminder_policy, 'name'),
        scheduling_internal.check_text_length('workshop description', p_description, 'free_text'),
        scheduling_internal.check_capacity('workshop', p_default_capacity);

    SELECT p.* INTO v_host FROM scheduling.people AS p WHERE p.id = p_host_id;
    IF NOT FOUND OR v_host.deleted_at IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK007',
            MESSAGE = format('workshop host %s not found or deleted', coalesce(p_host_id::text, 'NULL'));
    END IF;

    v_time_zone := coalesce(p_time_zone, v_host.time_zone);
    IF NOT EXISTS (SELECT 1 FROM scheduling.time_zones AS z WHERE z.name = v_time_zone) THEN
        RAISE EXCEPTION USING ERRCODE = 'SK005', MESSAGE = format('unknown time zone %L', v_time_zone);
    END IF;

    IF p_reminder_policy IS NOT NULL THEN
        SELECT rp.id INTO v_policy_id FROM scheduling.reminder_policies AS rp WHERE rp.name = p_reminder_policy;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING
                ERRCODE = 'SK016', MESSAGE = format('unknown reminder policy %L', p_reminder_policy);
        END IF;
    END IF;

    INSERT INTO scheduling.workshops (host_id, title, description, default_capacity, time_zone, reminder_policy_id)
    VALUES (p_host_id, p_title, p_description, p_default_capacity, v_time_zone, v_policy_id)
    RETURNING workshops.id INTO v_id;
    RETURN v_id;
END;
$function$;

COMMENT ON FUNCTION scheduling.create_workshop(uuid, text, integer, text, text, text) IS
'Creates an active workshop; returns its id. p_default_capacity: seats of each session (0 = unlimited); '
'p_time_zone defaults to the host''s; p_reminder_policy by name (NULL = ''default''). Errors: SK009 blank '
'title or negative capacity, SK007 unknown or deleted host, SK005 unknown time zone, SK016 unknown policy.'
' Input limits: SK034 title, time zone or policy name over 200 characters, description over 2000.'
' Side effects: inserts a scheduling.workshops row.';

GRANT EXECUTE ON FUNCTION scheduling.create_workshop(uuid, text, integer, text, text, text) TO sessionkeeper_app;
