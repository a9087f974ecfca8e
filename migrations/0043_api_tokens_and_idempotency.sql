-- The HTTP API of `sessionkeeper serve`, for apps that cannot hold a database connection: bearer tokens and
-- idempotency keys, as data.
--
-- Tables added:
--   api_tokens            one row per token: its name (the actor the API writes as), the SHA-256 of the token
--                         (never the token itself), who made it and when, and its revocation; at most one active
--                         (not revoked) token per name, a revoked name may be given a new token
--   api_idempotency_keys  one row per (actor, Idempotency-Key header) of a write: the hash of the request that used
--                         it and, once answered, the HTTP status and body to give again to a retry; forgotten after
--                         24 hours (purge_old_records deletes them, and an older key counts as new)
-- Nobody but the owner holds a privilege on either: the CLI (`sessionkeeper api-token`) writes tokens through
-- create_api_token and revoke_api_token, the HTTP layer reads them through api_token_actor and the idempotency
-- functions.
--
-- `sessionkeeper serve` connects as the login that owns the schema (it runs migrate and the operator actions). So
-- that each API request runs with the privileges of an app and nothing more, the server runs it inside a
-- transaction after SET LOCAL ROLE sessionkeeper_app; PostgreSQL allows that only to a member of
-- sessionkeeper_app, hence GRANT sessionkeeper_app TO sessionkeeper_owner. No group role gains anything by it: the
-- app, worker, cron and webhook roles are still members of nothing. Granting a role needs CREATEROLE (or a
-- superuser), which the owner role lacks: hence RESET ROLE first, then the rest as the owner again. A database
-- whose owner role is already a member is left as it is (roles are cluster-wide: another database of the cluster
-- may have made the grant).
--
-- Errors added by this migration (raised by the functions of sql/functions):
--   SK073  API token name NULL, blank or not of the form ^[A-Za-z0-9][A-Za-z0-9._@-]{0,62}$
--   SK074  an active API token with that name already exists
--   SK075  no active API token with that name
--   SK076  an idempotency key was used with another request
--   SK077  an idempotency key NULL, blank, too long or with control characters, a request hash not 32 bytes, no
--          actor; or no request reserved under that key
--   SK078  sessions_between: a bound NULL or not finite, p_to not after p_from, or more than 93 days

RESET ROLE;

DO $membership$
BEGIN
    IF NOT pg_catalog.pg_has_role('sessionkeeper_owner', 'sessionkeeper_app', 'MEMBER') THEN
        IF NOT EXISTS (
            SELECT FROM pg_catalog.pg_roles AS r
            WHERE r.rolname = current_user AND (r.rolsuper OR r.rolcreaterole)
        ) THEN
            RAISE EXCEPTION USING
                ERRCODE = '42501',
                MESSAGE = format(
                    'login %s may not grant roles: a superuser runs once GRANT sessionkeeper_app TO '
                    'sessionkeeper_owner; then migrate again',
                    current_user
                );
        END IF;
        GRANT sessionkeeper_app TO sessionkeeper_owner;
    END IF;
END;
$membership$;

SELECT set_config('role', 'sessionkeeper_owner', TRUE);

CREATE TABLE scheduling.api_tokens (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL, -- noqa: RF04
    token_sha256 bytea NOT NULL,
    created_at timestamptz NOT NULL,
    created_by text NOT NULL,
    revoked_at timestamptz,
    revoked_by text,
    CONSTRAINT api_tokens_token_sha256_key UNIQUE (token_sha256),
    CONSTRAINT api_tokens_name_form CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{0,62}$'),
    CONSTRAINT api_tokens_token_sha256_length CHECK (octet_length(token_sha256) = 32),
    CONSTRAINT api_tokens_revoked_together CHECK ((revoked_at IS NULL) = (revoked_by IS NULL)),
    CONSTRAINT api_tokens_revoked_after_created CHECK (revoked_at >= created_at)
);

CREATE UNIQUE INDEX api_tokens_active_name_idx ON scheduling.api_tokens (name) WHERE revoked_at IS NULL;

COMMENT ON TABLE scheduling.api_tokens IS
'Bearer tokens of the HTTP API (`sessionkeeper serve`). A request carrying token T acts as the name of the active '
'(revoked_at NULL) row whose token_sha256 is sha256(T): that name is the actor of what it writes. At most one '
'active token per name (index api_tokens_active_name_idx); a revoked name may be given a new token, and revoked '
'rows stay as history. The token itself is never stored: create_api_token shows it once. Write through '
'create_api_token and revoke_api_token (`sessionkeeper api-token create|revoke`); the server reads it through '
'api_token_actor.';

COMMENT ON COLUMN scheduling.api_tokens.name IS
'Who the token speaks for (an app, a service): 1 to 63 letters, digits, dots, underscores, @ and hyphens, '
'starting with a letter or digit. The actor of every write made with the token.';
COMMENT ON COLUMN scheduling.api_tokens.token_sha256 IS
'SHA-256 of the token''s UTF-8 text (32 bytes): enough to recognise the token, useless to whoever reads it.';
COMMENT ON COLUMN scheduling.api_tokens.created_at IS 'When the token was made (create_api_token''s p_now).';
COMMENT ON COLUMN scheduling.api_tokens.created_by IS 'Who made it (create_api_token''s p_actor).';
COMMENT ON COLUMN scheduling.api_tokens.revoked_at IS 'When it was revoked; NULL while it is active.';
COMMENT ON COLUMN scheduling.api_tokens.revoked_by IS 'Who revoked it (revoke_api_token''s p_actor).';

CREATE TABLE scheduling.api_idempotency_keys (
    actor text NOT NULL,
    idempotency_key text NOT NULL,
    request_sha256 bytea NOT NULL,
    status integer,
    body jsonb,
    created_at timestamptz NOT NULL,
    CONSTRAINT api_idempotency_keys_pkey PRIMARY KEY (actor, idempotency_key),
    CONSTRAINT api_idempotency_keys_request_sha256_length CHECK (octet_length(request_sha256) = 32),
    CONSTRAINT api_idempotency_keys_status_http CHECK (status BETWEEN 100 AND 599)
);

CREATE INDEX api_idempotency_keys_created_at_idx ON scheduling.api_idempotency_keys (created_at);

COMMENT ON TABLE scheduling.api_idempotency_keys IS
'The Idempotency-Key of each write made through the HTTP API, per actor (the token''s name): the SHA-256 of the '
'request that used it and, once the request was answered, the HTTP status and body that answer. A retry with the '
'same key and the same request gets that answer again instead of writing twice; the same key with another request '
'is refused (SK076). A row whose status is NULL is reserved by a request still running: a concurrent request with '
'the same key waits for it, and takes the key over if it rolls back. Keys are kept 24 hours from created_at: an '
'older one counts as new, and purge_old_records deletes it. Write through begin_idempotent_request and '
'finish_idempotent_request.';

COMMENT ON COLUMN scheduling.api_idempotency_keys.actor IS 'The name of the API token the request was made with.';
COMMENT ON COLUMN scheduling.api_idempotency_keys.idempotency_key IS
'The Idempotency-Key header as the client sent it (1 to 255 characters, no control characters).';
COMMENT ON COLUMN scheduling.api_idempotency_keys.request_sha256 IS
'SHA-256 of the request (method, path and body, as the HTTP layer puts them together): 32 bytes.';
COMMENT ON COLUMN scheduling.api_idempotency_keys.status IS
'The HTTP status of the answer; NULL while the request is still running.';
COMMENT ON COLUMN scheduling.api_idempotency_keys.body IS
'The JSON body of the answer (NULL when it had none).';
COMMENT ON COLUMN scheduling.api_idempotency_keys.created_at IS
'When the key was first used (begin_idempotent_request''s p_now); it is forgotten 24 hours later.';
