CREATE OR REPLACE FUNCTION scheduling.revoke_api_token(
    p_name text,
    p_actor text DEFAULT session_user,
    p_now timestamptz DEFAULT now()
)
RETURNS timestamptz
LANGUAGE plpgsql
AS $function$
DECLARE
    v_revoked_at timestamptz;
BEGIN
    PERFORM scheduling_internal.check_actor_and_now('revoke_api_token', p_actor, p_now);
    IF p_actor IS NULL OR btrim(p_actor) = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'SK009', MESSAGE = 'revoke_api_token: p_actor must not be blank';
    END IF;

    -- A revocation is never dated before the token was made (the table's check says so too).
    UPDATE scheduling.api_tokens AS t
    SET revoked_at = greatest(p_now, t.created_at), revoked_by = p_actor
    WHERE t.name = p_name AND t.revoked_at IS NULL
    RETURNING t.revoked_at INTO v_revoked_at;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK075',
            MESSAGE = format(
                'revoke_api_token: no active token named %s', coalesce(quote_literal(left(p_name, 80)), 'NULL')
            );
    END IF;
    RETURN v_revoked_at;
END;
$function$;

COMMENT ON FUNCTION scheduling.revoke_api_token(text, text, timestamptz) IS
'Revokes the active HTTP API token named p_name: from now on api_token_actor no longer knows it, so requests '
'carrying it are refused. Sets revoked_at = p_now (never before the token was made) and revoked_by = p_actor, '
'keeps the row as history and returns revoked_at; the name may be given a new token afterwards. For operators '
'(`sessionkeeper api-token revoke NAME`); granted to no group role. Errors: SK075 no active token with that '
'name (NULL, unknown or already revoked; nothing changes); SK009 blank actor, NULL p_now. Input limits: SK034 '
'actor over 200 characters. SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: updates one scheduling.api_tokens row.';
