-- SECURITY DEFINER: the HTTP layer runs each request as sessionkeeper_app, which holds no privilege on
-- api_tokens; this answers "whose token is this?" and nothing else. search_path is fixed so that no schema of the
-- caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.api_token_actor(p_token_sha256 bytea)
RETURNS text
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
    SELECT t.name
    FROM scheduling.api_tokens AS t
    WHERE t.token_sha256 = p_token_sha256 AND t.revoked_at IS NULL AND octet_length(p_token_sha256) = 32;
$function$;

COMMENT ON FUNCTION scheduling.api_token_actor(bytea) IS
'The name of the active (not revoked) HTTP API token whose SHA-256 is p_token_sha256, or NULL: for an unknown or '
'revoked token, and for NULL or anything not 32 bytes long, so that the caller answers 401 without telling '
'which. The HTTP layer hashes the bearer token (sha256 of its UTF-8 text) and uses the name as the actor of the '
'request. No errors.'
' Side effects: none.';

GRANT EXECUTE ON FUNCTION scheduling.api_token_actor(bytea) TO sessionkeeper_app;
