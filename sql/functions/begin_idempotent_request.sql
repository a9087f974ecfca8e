-- SECURITY DEFINER: the HTTP layer runs each request as sessionkeeper_app, which holds no privilege on
-- api_idempotency_keys; this is the one way it reserves a key. search_path is fixed so that no schema of the caller
-- can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.begin_idempotent_request(
    p_key text,
    p_request_sha256 bytea,
    p_actor text,
    p_now timestamptz DEFAULT now()
)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    c_max_key_length CONSTANT integer := 255;
    -- How long a key is remembered; purge_old_records deletes the rows after the same time.
    c_kept CONSTANT interval := '24 hours';
    v_row scheduling.api_idempotency_keys;
BEGIN
    PERFORM scheduling_internal.check_now('begin_idempotent_request', p_now);
    IF p_key IS NULL OR btrim(p_key) = '' OR length(p_key) > c_max_key_length OR p_key ~ '[[:cntrl:]]' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK077',
            MESSAGE = format(
                'begin_idempotent_request: an idempotency key is 1 to %s characters, not blank and without '
                'control characters (%s)',
                c_max_key_length,
                CASE WHEN p_key IS NULL THEN 'it is NULL' ELSE format('got %s characters', length(p_key)) END
            );
    END IF;
    IF p_request_sha256 IS NULL OR octet_length(p_request_sha256) <> 32 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK077',
            MESSAGE = format(
                'begin_idempotent_request: the request hash must be a SHA-256 (32 bytes), not %s',
                coalesce(octet_length(p_request_sha256) || ' bytes', 'NULL')
            );
    END IF;
    IF p_actor IS NULL OR btrim(p_actor) = '' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK077', MESSAGE = 'begin_idempotent_request: the actor must not be NULL or blank';
    END IF;
    PERFORM scheduling_internal.check_text_length('begin_idempotent_request: p_actor', p_actor, 'name');

    -- A new key, or one older than c_kept (forgotten: it starts again), is reserved by this transaction and the
    -- caller goes ahead. A concurrent call with the same key waits here on the uncommitted row: it finds the
    -- answer once this transaction commits, or reserves the key itself if this one rolls back.
    INSERT INTO scheduling.api_idempotency_keys AS k (actor, idempotency_key, request_sha256, created_at)
    VALUES (p_actor, p_key, p_request_sha256, p_now)
    ON CONFLICT (actor, idempotency_key) DO UPDATE
        SET request_sha256 = excluded.request_sha256, status = NULL, body = NULL, created_at = excluded.created_at
        WHERE k.created_at < p_now - c_kept
    RETURNING k.* INTO v_row;
    IF FOUND THEN
        RETURN NULL;
    END IF;

    -- The key is known and recent (ON CONFLICT locked the row).
    SELECT k.* INTO v_row
    FROM scheduling.api_idempotency_keys AS k
    WHERE k.actor = p_actor AND k.idempotency_key = p_key;
    IF v_row.request_sha256 <> p_request_sha256 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK076',
            MESSAGE = format(
                'begin_idempotent_request: the idempotency key was used with another request at %s; use a new key '
                'for a new request',
                v_row.created_at
            );
    END IF;
    -- Reserved but never answered (this transaction called twice, or a caller committed without finishing): the
    -- caller goes ahead.
    IF v_row.status IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN jsonb_build_object('status', v_row.status, 'body', v_row.body);
END;
$function$;

COMMENT ON FUNCTION scheduling.begin_idempotent_request(text, bytea, text, timestamptz) IS
'Starts a write of the HTTP API that carries an Idempotency-Key: p_key, per actor (the API token''s name). '
'p_request_sha256 is the SHA-256 of the request (32 bytes). Returns NULL when the caller should go ahead: the key '
'was new (or older than 24 hours, so forgotten: its row starts again) and is now reserved by this transaction, '
'so a concurrent call with the same key waits for it, and the key is free again if this transaction rolls back. '
'The caller then makes the write and calls finish_idempotent_request in the same transaction. When the key was '
'already answered for the same request, returns {"status", "body"}: the stored HTTP status and JSON body, to be '
'given again without writing anything. NULL too when the key is reserved with the same request but no answer was '
'stored. Errors: SK076 the key was used with another request (a different hash) in the last 24 hours; SK077 key '
'NULL, blank, longer than 255 characters or with control characters, request hash not 32 bytes, actor NULL or '
'blank; SK009 NULL p_now. Input limits: SK034 actor over 200 characters. SK038 when p_now is more than 5 minutes '
'in the future and simulated time is off.'
' Side effects: inserts (or, for a key older than 24 hours, overwrites) one scheduling.api_idempotency_keys row '
'and keeps it locked until the transaction ends.';

GRANT EXECUTE ON FUNCTION scheduling.begin_idempotent_request(text, bytea, text, timestamptz) TO sessionkeeper_app;
