-- The HTTP API's bearer tokens and idempotency keys: a token is shown once and only its hash is stored, one
-- active token per name, revoking and reusing a name; an idempotency key reserves, answers again, refuses another
-- request, is forgotten after 24 hours and is free again when its transaction rolls back; who may call what.
BEGIN;
SELECT plan(58);
SET LOCAL timezone = 'UTC';

-- ---- tokens ------------------------------------------------------------------------------------------------
CREATE TEMP TABLE t_tokens (who text PRIMARY KEY, token text NOT NULL);
INSERT INTO t_tokens VALUES ('app1', scheduling.create_api_token('app1', 'ops', '2031-06-01 12:00Z'));
-- The SHA-256 of the token made for p_who, as the HTTP layer computes it.
CREATE FUNCTION pg_temp.hash_of(p_who text) RETURNS bytea
LANGUAGE sql STABLE AS $$
    SELECT sha256(convert_to(t.token, 'UTF8'))
    FROM t_tokens AS t
    WHERE t.who = p_who
$$;

SELECT matches(
    (
        SELECT t.token FROM t_tokens AS t
        WHERE t.who = 'app1'
    ),
    '^skt_[0-9a-f]{64}$',
    'create_api_token returns skt_ and 64 lower-case hex digits'
);
SELECT results_eq(
    $$SELECT k.name, k.token_sha256, k.created_at, k.created_by, k.revoked_at, k.revoked_by
    FROM scheduling.api_tokens AS k$$,
    $$SELECT 'app1'::text, sha256(convert_to(t.token, 'UTF8')), '2031-06-01 12:00Z'::timestamptz, 'ops'::text,
        NULL::timestamptz, NULL::text
    FROM t_tokens AS t$$,
    'the row holds the name, the SHA-256 of the token, who made it and when'
);
SELECT is(
    (
        SELECT count(*)::integer
        FROM scheduling.api_tokens AS k, t_tokens AS t
        WHERE
            strpos(row_to_json(k.*)::text, t.token) > 0
            OR strpos(row_to_json(k.*)::text, substr(t.token, 5)) > 0
            OR strpos(encode(k.token_sha256, 'escape'), substr(t.token, 5)) > 0
    ),
    0,
    'no row holds the token itself, nor its hex digits'
);
SELECT is(
    scheduling.api_token_actor(pg_temp.hash_of('app1')), 'app1',
    'api_token_actor knows the token by its hash'
);
SELECT is(scheduling.api_token_actor(sha256('skt_wrong'::bytea)), NULL, 'an unknown hash is nobody');
SELECT is(scheduling.api_token_actor(NULL), NULL, 'a NULL hash is nobody, without an error');
SELECT is(
    scheduling.api_token_actor(substr((SELECT k.token_sha256 FROM scheduling.api_tokens AS k), 1, 31)), NULL,
    'a hash cut to 31 bytes is nobody, without an error'
);
SELECT is(scheduling.api_token_actor(''::bytea), NULL, 'an empty hash is nobody');

-- Names.
SELECT throws_ok(
    $$SELECT scheduling.create_api_token('app1', 'ops', '2031-06-01 12:01Z')$$,
    'SK074', 'create_api_token: an active token named app1 already exists; revoke it first',
    'a second active token with one name is refused (SK074)'
);
SELECT throws_ok(
    $$SELECT scheduling.create_api_token(NULL, 'ops', '2031-06-01 12:00Z')$$,
    'SK073',
    'create_api_token: a token name is 1 to 63 letters, digits, dots, underscores, @ or hyphens, starting with a '
    || 'letter or digit, not NULL',
    'a NULL name is refused, and the message says the rule (SK073)'
);
SELECT throws_ok(
    $$SELECT scheduling.create_api_token('', 'ops', '2031-06-01 12:00Z')$$, 'SK073', NULL,
    'an empty name is refused (SK073)'
);
SELECT throws_ok(
    $$SELECT scheduling.create_api_token('   ', 'ops', '2031-06-01 12:00Z')$$, 'SK073', NULL,
    'a blank name is refused (SK073)'
);
SELECT throws_ok(
    $$SELECT scheduling.create_api_token('-app', 'ops', '2031-06-01 12:00Z')$$, 'SK073', NULL,
    'a name starting with a hyphen is refused (SK073)'
);
SELECT throws_ok(
    $$SELECT scheduling.create_api_token('my app', 'ops', '2031-06-01 12:00Z')$$, 'SK073', NULL,
    'a name with a space is refused (SK073)'
);
SELECT throws_ok(
    $$SELECT scheduling.create_api_token(repeat('a', 64), 'ops', '2031-06-01 12:00Z')$$, 'SK073', NULL,
    'a name of 64 characters is refused (SK073)'
);
SELECT throws_ok(
    $$SELECT scheduling.create_api_token(E'app\n', 'ops', '2031-06-01 12:00Z')$$, 'SK073', NULL,
    'a name ending in a newline is refused (SK073)'
);
SELECT throws_ok(
    $$SELECT scheduling.create_api_token('app2', 'ops', NULL)$$, 'SK009', NULL, 'a NULL p_now is refused (SK009)'
);
SELECT throws_ok(
    $$SELECT scheduling.create_api_token('app2', repeat('a', 201), '2031-06-01 12:00Z')$$, 'SK034', NULL,
    'an actor over 200 characters is refused (SK034)'
);
SELECT lives_ok(
    $$INSERT INTO t_tokens VALUES (
        repeat('a', 63), scheduling.create_api_token(repeat('a', 63), 'ops', '2031-06-01 12:00Z')
    ), ('mail.bot_1@example-org', scheduling.create_api_token('mail.bot_1@example-org', 'ops', '2031-06-01 12:00Z'))$$,
    'names of 63 characters, and with dots, underscores, @ and hyphens, are accepted'
);
SELECT is(
    (SELECT count(DISTINCT k.token_sha256)::integer FROM scheduling.api_tokens AS k), 3, 'every token is different'
);
SELECT throws_ok(
    $$INSERT INTO scheduling.api_tokens (name, token_sha256, created_at, created_by)
    VALUES ('bad name', sha256('x'::bytea), now(), 'ops')$$,
    '23514', NULL, 'the table refuses a bad name too (check api_tokens_name_form)'
);

-- Revoking.
SELECT is(
    scheduling.revoke_api_token('app1', 'ops2', '2031-06-02 12:00Z'), '2031-06-02 12:00Z'::timestamptz,
    'revoke_api_token returns when the token was revoked'
);
SELECT is(
    scheduling.api_token_actor(pg_temp.hash_of('app1')),
    NULL,
    'a revoked token is nobody'
);
SELECT results_eq(
    $$SELECT k.revoked_at, k.revoked_by FROM scheduling.api_tokens AS k WHERE k.name = 'app1'$$,
    $$VALUES ('2031-06-02 12:00Z'::timestamptz, 'ops2'::text)$$,
    'the revoked row stays, with who revoked it and when'
);
SELECT throws_ok(
    $$SELECT scheduling.revoke_api_token('app1', 'ops', '2031-06-02 12:00Z')$$,
    'SK075', 'revoke_api_token: no active token named ''app1''', 'revoking it again is refused (SK075)'
);
SELECT throws_ok(
    $$SELECT scheduling.revoke_api_token('nobody', 'ops', '2031-06-02 12:00Z')$$, 'SK075', NULL,
    'revoking an unknown name is refused (SK075)'
);
SELECT throws_ok(
    $$SELECT scheduling.revoke_api_token(NULL, 'ops', '2031-06-02 12:00Z')$$, 'SK075',
    'revoke_api_token: no active token named NULL', 'revoking NULL is refused (SK075)'
);
UPDATE t_tokens SET token = scheduling.create_api_token('app1', 'ops', '2031-06-03 12:00Z')
WHERE who = 'app1';
SELECT is(
    scheduling.api_token_actor(pg_temp.hash_of('app1')),
    'app1',
    'a revoked name may be given a new token, which works'
);
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.api_tokens AS k
        WHERE k.name = 'app1'
    ),
    2,
    'the old row stays as history beside the new one'
);

-- ---- idempotency keys --------------------------------------------------------------------------------------
SELECT is(
    scheduling.begin_idempotent_request('k1', sha256('POST /a {}'::bytea), 'app1', '2031-06-01 12:00Z'), NULL,
    'a new key: go ahead (NULL)'
);
SELECT is(
    scheduling.begin_idempotent_request('k1', sha256('POST /a {}'::bytea), 'app1', '2031-06-01 12:00Z'), NULL,
    'the same key and request again before an answer was stored: go ahead (NULL)'
);
SELECT lives_ok(
    $$SELECT scheduling.finish_idempotent_request('k1', 'app1', 201, '{"id": 1}')$$,
    'finish_idempotent_request stores the answer'
);
SELECT is(
    scheduling.begin_idempotent_request('k1', sha256('POST /a {}'::bytea), 'app1', '2031-06-02 12:00Z'),
    '{"status": 201, "body": {"id": 1}}'::jsonb,
    'the same key and request within 24 hours (exactly 24 h later): the stored answer'
);
SELECT throws_ok(
    $$SELECT scheduling.begin_idempotent_request('k1', sha256('POST /b {}'::bytea), 'app1', '2031-06-01 13:00Z')$$,
    'SK076',
    'begin_idempotent_request: the idempotency key was used with another request at 2031-06-01 12:00:00+00; use '
    || 'a new key for a new request',
    'the same key with another request is refused (SK076)'
);
SELECT is(
    scheduling.begin_idempotent_request('k1', sha256('POST /b {}'::bytea), 'app2', '2031-06-01 13:00Z'), NULL,
    'keys are per actor: another actor may use k1 for its own request'
);
SELECT throws_ok(
    $$SELECT scheduling.finish_idempotent_request('k1', 'app1', 200, '{}')$$,
    'SK077',
    'finish_idempotent_request: no request is reserved under this idempotency key for this actor (call '
    || 'begin_idempotent_request first, in the same transaction)',
    'an answer stored once is not replaced (SK077)'
);
SELECT throws_ok(
    $$SELECT scheduling.finish_idempotent_request('never', 'app1', 200, '{}')$$, 'SK077', NULL,
    'finishing a key never begun is refused (SK077)'
);
SELECT throws_ok(
    $$SELECT scheduling.finish_idempotent_request(NULL, 'app1', 200, '{}')$$, 'SK077', NULL,
    'finishing a NULL key is refused (SK077)'
);
SELECT throws_ok(
    $$SELECT scheduling.finish_idempotent_request('k1', 'app2', 42, '{}')$$, 'SK077',
    'finish_idempotent_request: the status must be an HTTP status (100 to 599), not 42',
    'a status that is not an HTTP status is refused (SK077)'
);
SELECT is(
    (
        SELECT k.status FROM scheduling.api_idempotency_keys AS k
        WHERE k.actor = 'app2' AND k.idempotency_key = 'k1'
    ),
    NULL,
    'the refused answer was not stored'
);

-- Forgotten after 24 hours: the key starts again with the new request.
SELECT is(
    scheduling.begin_idempotent_request('k1', sha256('POST /b {}'::bytea), 'app1', '2031-06-02 12:00:01Z'), NULL,
    'a key first used more than 24 hours ago counts as new: go ahead, even with another request'
);
SELECT results_eq(
    $$SELECT k.request_sha256, k.status, k.body, k.created_at FROM scheduling.api_idempotency_keys AS k
    WHERE k.actor = 'app1' AND k.idempotency_key = 'k1'$$,
    $$VALUES (sha256('POST /b {}'::bytea), NULL::integer, NULL::jsonb, '2031-06-02 12:00:01Z'::timestamptz)$$,
    'its row is overwritten: the new request, no answer, used from now on'
);

-- A rolled back request frees its key: the exception block is a savepoint, rolled back after k2 was reserved.
DO $rollback$
BEGIN
    IF scheduling.begin_idempotent_request('k2', sha256('POST /a {}'::bytea), 'app1', '2031-06-01 12:00Z') IS NOT NULL
        THEN
        RAISE EXCEPTION USING ERRCODE = 'P0002', MESSAGE = 'k2 was not new';
    END IF;
    -- A statement of its own, so that it sees the row begin_idempotent_request wrote.
    IF NOT EXISTS (
            SELECT FROM scheduling.api_idempotency_keys AS k
            WHERE k.idempotency_key = 'k2'
        ) THEN
        -- Not caught below: the whole file fails.
        RAISE EXCEPTION USING ERRCODE = 'P0002', MESSAGE = 'k2 was not reserved';
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'roll the request back';
EXCEPTION WHEN raise_exception THEN
    NULL;
END;
$rollback$;
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.api_idempotency_keys AS k
        WHERE k.idempotency_key = 'k2'
    ),
    0,
    'a request that reserved k2 and rolled back leaves no row'
);
SELECT is(
    scheduling.begin_idempotent_request('k2', sha256('POST /c {}'::bytea), 'app1', '2031-06-01 12:00Z'), NULL,
    'after a rollback the key is free again, for any request'
);

-- Bad keys, hashes and actors.
SELECT throws_ok(
    $$SELECT scheduling.begin_idempotent_request(NULL, sha256('x'::bytea), 'app1', '2031-06-01 12:00Z')$$,
    'SK077',
    'begin_idempotent_request: an idempotency key is 1 to 255 characters, not blank and without control '
    || 'characters (it is NULL)',
    'a NULL key is refused (SK077)'
);
SELECT throws_ok(
    $$SELECT scheduling.begin_idempotent_request('  ', sha256('x'::bytea), 'app1', '2031-06-01 12:00Z')$$,
    'SK077', NULL, 'a blank key is refused (SK077)'
);
SELECT throws_ok(
    $$SELECT scheduling.begin_idempotent_request(repeat('k', 256), sha256('x'::bytea), 'app1', '2031-06-01 12:00Z')$$,
    'SK077', NULL, 'a key of 256 characters is refused (SK077)'
);
SELECT is(
    scheduling.begin_idempotent_request(repeat('k', 255), sha256('x'::bytea), 'app1', '2031-06-01 12:00Z'), NULL,
    'a key of 255 characters is accepted'
);
SELECT throws_ok(
    $$SELECT scheduling.begin_idempotent_request(E'k\n1', sha256('x'::bytea), 'app1', '2031-06-01 12:00Z')$$,
    'SK077', NULL, 'a key with a control character is refused (SK077)'
);
SELECT throws_ok(
    $$SELECT scheduling.begin_idempotent_request('k9', '\x00'::bytea, 'app1', '2031-06-01 12:00Z')$$,
    'SK077', 'begin_idempotent_request: the request hash must be a SHA-256 (32 bytes), not 1 bytes',
    'a request hash that is not 32 bytes is refused (SK077)'
);
SELECT throws_ok(
    $$SELECT scheduling.begin_idempotent_request('k9', NULL, 'app1', '2031-06-01 12:00Z')$$,
    'SK077', NULL, 'a NULL request hash is refused (SK077)'
);
SELECT throws_ok(
    $$SELECT scheduling.begin_idempotent_request('k9', sha256('x'::bytea), NULL, '2031-06-01 12:00Z')$$,
    'SK077', 'begin_idempotent_request: the actor must not be NULL or blank', 'a NULL actor is refused (SK077)'
);

-- ---- who may call what -------------------------------------------------------------------------------------
SELECT set_config('sk_test.token_sha256', encode(pg_temp.hash_of('app1'), 'hex'), TRUE);
SET LOCAL ROLE sessionkeeper_app;
SELECT is(
    scheduling.api_token_actor(decode(current_setting('sk_test.token_sha256'), 'hex')), 'app1',
    'the app may ask whose token it is'
);
SELECT lives_ok(
    $$SELECT scheduling.begin_idempotent_request('k5', sha256('x'::bytea), 'app1', '2031-06-01 12:00Z'),
    scheduling.finish_idempotent_request('k5', 'app1', 204, NULL)$$,
    'the app may begin and finish an idempotent request'
);
SELECT throws_ok(
    $$SELECT scheduling.create_api_token('app9')$$, '42501', 'permission denied for function create_api_token',
    'the app cannot make tokens (42501)'
);
SELECT throws_ok(
    $$SELECT scheduling.revoke_api_token('app1')$$, '42501', 'permission denied for function revoke_api_token',
    'the app cannot revoke tokens (42501)'
);
SELECT throws_ok(
    'SELECT count(*) FROM scheduling.api_tokens', '42501', 'permission denied for table api_tokens',
    'the app cannot read api_tokens (42501)'
);
SELECT throws_ok(
    'SELECT count(*) FROM scheduling.api_idempotency_keys', '42501',
    'permission denied for table api_idempotency_keys', 'the app cannot read api_idempotency_keys (42501)'
);
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
