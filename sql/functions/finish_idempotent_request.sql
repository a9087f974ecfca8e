-- SECURITY DEFINER: the HTTP layer runs each request as sessionkeeper_app, which holds no privilege on
-- api_idempotency_keys; this is the one way it stores an answer. search_path is fixed so that no schema of the
-- caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.finish_idempotent_request(
    p_key text,
    p_actor text,
    p_status integer,
    p_body jsonb
)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
BEGIN
    IF p_status IS NULL OR p_status NOT BETWEEN 100 AND 599 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK077',
            MESSAGE = format(
                'finish_idempotent_request: the status must be an HTTP status (100 to 599), not %s',
                coalesce(p_status::text, 'NULL')
            );
    END IF;

    -- Only a reserved row that is not answered yet: an answer once stored is what every retry gets.
    UPDATE scheduling.api_idempotency_keys AS k
    SET status = p_status, body = p_body
    WHERE k.actor = p_actor AND k.idempotency_key = p_key AND k.status IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK077',
            MESSAGE = 'finish_idempotent_request: no request is reserved under this idempotency key for this actor '
            '(call begin_idempotent_request first, in the same transaction)';
    END IF;
END;
$function$;

COMMENT ON FUNCTION scheduling.finish_idempotent_request(text, text, integer, jsonb) IS
'Stores the answer of a write of the HTTP API on the row begin_idempotent_request reserved for (p_actor, p_key): '
'the HTTP status p_status and JSON body p_body (NULL when it had none), given again to every retry with the same '
'key and request for 24 hours. Call it in the transaction of the write, so that the write and its answer commit '
'together. Errors: SK077 no unanswered row reserved under that key for that actor (NULL key or actor, never '
'begun, or already answered), or p_status NULL or not from 100 to 599.'
' Side effects: updates one scheduling.api_idempotency_keys row.';

GRANT EXECUTE ON FUNCTION scheduling.finish_idempotent_request(text, text, integer, jsonb) TO sessionkeeper_app;
