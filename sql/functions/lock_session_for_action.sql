CREATE OR REPLACE FUNCTION scheduling_internal.lock_session_for_action(
    p_session_id uuid,
    p_action text
)
RETURNS scheduling.sessions
LANGUAGE plpgsql
AS $function$
DECLARE
    v_session scheduling.sessions;
BEGIN
    SELECT s.*
    INTO v_session
    FROM scheduling.sessions AS s
    WHERE s.id = p_session_id
    FOR UPDATE;

    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK001',
            MESSAGE = format('cannot %s session %s: session not found', p_action, coalesce(p_session_id::text, 'NULL'));
    END IF;

    IF v_session.deleted_at IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK002',
            MESSAGE = format(
                'cannot %s session %s: it was deleted at %s', p_action, v_session.id, v_session.deleted_at
            );
    END IF;

    RETURN v_session;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.lock_session_for_action(uuid, text) IS
'Internal helper of the manual actions: locks the session row (SELECT ... FOR UPDATE) and returns it. '
'Raises SK001 when it does not exist and SK002 when it is soft-deleted; p_action names the action in '
'the message.'
' Side effects: locks the session row (FOR UPDATE); writes nothing.';
