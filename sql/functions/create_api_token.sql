CREATE OR REPLACE FUNCTION scheduling.create_api_token(
    p_name text,
    p_actor text DEFAULT session_user,
    p_now timestamptz DEFAULT now()
)
RETURNS text
LANGUAGE plpgsql
AS $function$
DECLARE
    v_token text;
BEGIN
    PERFORM scheduling_internal.check_actor_and_now('create_api_token', p_actor, p_now);
    IF p_actor IS NULL OR btrim(p_actor) = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'SK009', MESSAGE = 'create_api_token: p_actor must not be blank';
    END IF;
    IF p_name IS NULL OR p_name !~ '^[A-Za-z0-9][A-Za-z0-9._@-]{0,62}$' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK073',
            MESSAGE = format(
                'create_api_token: a token name is 1 to 63 letters, digits, dots, underscores, @ or hyphens, '
                'starting with a letter or digit, not %s',
                -- The name is at most 63 characters when valid; an invalid one is cut so the message stays short.
                coalesce(quote_literal(left(p_name, 80)), 'NULL')
            );
    END IF;

    -- Two random UUIDs (gen_random_uuid draws from the server's strong random source) without their dashes:
    -- 64 hex digits, 244 random bits. Only its hash is stored.
    v_token := 'skt_' || replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '');

    -- The name is checked and written in one statement, so that two concurrent calls with one name cannot both
    -- succeed: the second waits on the first's index entry and then finds the conflict.
    INSERT INTO scheduling.api_tokens AS t (name, token_sha256, created_at, created_by)
    VALUES (p_name, sha256(convert_to(v_token, 'UTF8')), p_now, p_actor)
    ON CONFLICT (name) WHERE revoked_at IS NULL DO NOTHING;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK074',
            MESSAGE = format(
                'create_api_token: an active token named %s already exists; revoke it first', p_name
            );
    END IF;
    RETURN v_token;
END;
$function$;

COMMENT ON FUNCTION scheduling.create_api_token(text, text, timestamptz) IS
'Makes an HTTP API bearer token for p_name (the actor the API writes as) and returns it: ''skt_'' and 64 '
'lower-case hex digits from two random UUIDs. Only its SHA-256 is stored (api_tokens.token_sha256): the token is '
'shown this once and cannot be read back. For operators (`sessionkeeper api-token create NAME`); granted to no '
'group role. Errors: SK073 p_name NULL, blank or not 1 to 63 letters, digits, dots, underscores, @ or hyphens '
'starting with a letter or digit; SK074 an active token with that name already exists (revoke it first); SK009 '
'blank actor, NULL p_now. Input limits: SK034 actor over 200 characters. SK038 when p_now is more than 5 minutes '
'in the future and simulated time is off.'
' Side effects: inserts one scheduling.api_tokens row.';
