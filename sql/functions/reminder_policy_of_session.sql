CREATE OR REPLACE FUNCTION scheduling_internal.reminder_policy_of_session(p_session_id uuid)
RETURNS scheduling.reminder_policies
LANGUAGE plpgsql
STABLE
AS $function$
DECLARE
    v_policy scheduling.reminder_policies;
BEGIN
    SELECT rp.*
    INTO v_policy
    FROM scheduling.sessions AS s
    INNER JOIN scheduling.reminder_policies AS rp
        ON rp.id = s.reminder_policy_id OR (s.reminder_policy_id IS NULL AND rp.name = 'default')
    WHERE s.id = p_session_id;

    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK016',
            MESSAGE = format('no reminder policy for session %s (and no policy named default)', p_session_id);
    END IF;

    RETURN v_policy;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.reminder_policy_of_session(uuid) IS
'The reminder policy that applies to a session: its reminder_policy_id, or the policy named ''default''. '
'SK016 when there is none.'
' Side effects: none.';
