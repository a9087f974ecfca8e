-- Least privilege. Five NOLOGIN group roles that deployments grant to their own login roles:
--
--   sessionkeeper_owner    owns schema scheduling and everything in it; DBAs and `sessionkeeper migrate` act as it.
--   sessionkeeper_app      reads the views and calls the session, booking, enrollment, workshop and template
--                          functions. It holds no privilege on any table: every write goes through a function.
--   sessionkeeper_worker   the reminder worker: claim, record, release, send tokens, heartbeats, health.
--   sessionkeeper_cron     tick and the scheduled jobs of sql/cron (the jobs run `SET ROLE sessionkeeper_cron`).
--   sessionkeeper_webhook  the inbound webhook: delivery statuses and replies.
--
-- PUBLIC has nothing in schema scheduling. Functions callable by the group roles are SECURITY DEFINER (owned by
-- sessionkeeper_owner, which is not a superuser) with search_path fixed; each file grants its own function.
--
-- Roles are cluster-wide, so they are created only when missing (another database of the cluster may have made
-- them). From this migration on, `sessionkeeper migrate` runs every later migration and every file of
-- sql/functions, sql/triggers and sql/views as sessionkeeper_owner, so new objects are owned by it; sql/cron
-- runs as the migrating user, who must be allowed to call cron.schedule.

DO $roles$
DECLARE
    v_role text;
BEGIN
    FOREACH v_role IN ARRAY ARRAY[
        'sessionkeeper_owner', 'sessionkeeper_app', 'sessionkeeper_worker', 'sessionkeeper_cron',
        'sessionkeeper_webhook'
    ] LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles AS r WHERE r.rolname = v_role) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', v_role);
        END IF;
    END LOOP;

    -- A migrating user that is not a superuser (it holds CREATEROLE) must be able to act as the owner.
    IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles AS r WHERE r.rolname = session_user) THEN
        EXECUTE format('GRANT sessionkeeper_owner TO %I', session_user);
    END IF;
END;
$roles$;

COMMENT ON ROLE sessionkeeper_owner IS
'sessionkeeper: owns schema scheduling and its objects. Grant it to DBAs and to the login that runs migrate.';
COMMENT ON ROLE sessionkeeper_app IS
'sessionkeeper: apps. Reads the views of schema scheduling and calls its action functions; writes no table.';
COMMENT ON ROLE sessionkeeper_worker IS
'sessionkeeper: the reminder worker. Only the claim, record and release functions of the outbox.';
COMMENT ON ROLE sessionkeeper_cron IS
'sessionkeeper: scheduled jobs. tick() and the pg_cron jobs of sql/cron.';
COMMENT ON ROLE sessionkeeper_webhook IS
'sessionkeeper: the inbound WhatsApp / Twilio webhook. Records delivery statuses and replies.';

ALTER SCHEMA scheduling OWNER TO sessionkeeper_owner;

-- Hand every object made so far to the owner. Indexes and the sequences of identity columns follow their table.
DO $ownership$
DECLARE
    v_object record;
BEGIN
    FOR v_object IN
        SELECT
            format(
                'ALTER %s %s OWNER TO sessionkeeper_owner',
                CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                    ELSE 'TABLE' END,
                c.oid::regclass
            ) AS statement
        FROM pg_catalog.pg_class AS c
        WHERE
            c.relnamespace = 'scheduling'::regnamespace
            AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
            AND NOT EXISTS (
                SELECT FROM pg_catalog.pg_depend AS d
                WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')
            )
        UNION ALL
        SELECT format('ALTER ROUTINE %s OWNER TO sessionkeeper_owner', p.oid::regprocedure)
        FROM pg_catalog.pg_proc AS p
        WHERE p.pronamespace = 'scheduling'::regnamespace
        UNION ALL
        SELECT format('ALTER TYPE %s OWNER TO sessionkeeper_owner', t.oid::regtype)
        FROM pg_catalog.pg_type AS t
        WHERE t.typnamespace = 'scheduling'::regnamespace AND t.typtype IN ('e', 'd', 'r', 'm')
    LOOP
        EXECUTE v_object.statement;
    END LOOP;
END;
$ownership$;

-- PUBLIC keeps nothing, now and for whatever the owner creates later (functions and types default to PUBLIC).
-- PUBLIC is the role keyword, not an identifier.
REVOKE ALL ON ALL TABLES IN SCHEMA scheduling FROM PUBLIC; -- noqa: CP02
REVOKE ALL ON ALL SEQUENCES IN SCHEMA scheduling FROM PUBLIC; -- noqa: CP02
REVOKE ALL ON ALL ROUTINES IN SCHEMA scheduling FROM PUBLIC; -- noqa: CP02
ALTER DEFAULT PRIVILEGES FOR ROLE sessionkeeper_owner REVOKE EXECUTE ON ROUTINES FROM PUBLIC; -- noqa: CP02
ALTER DEFAULT PRIVILEGES FOR ROLE sessionkeeper_owner REVOKE USAGE ON TYPES FROM PUBLIC; -- noqa: CP02

DO $types$
DECLARE
    v_type regtype;
BEGIN
    FOR v_type IN
        SELECT t.oid::regtype FROM pg_catalog.pg_type AS t
        WHERE t.typnamespace = 'scheduling'::regnamespace AND t.typtype IN ('e', 'd', 'r', 'm')
    LOOP
        EXECUTE format('REVOKE USAGE ON TYPE %s FROM PUBLIC', v_type);
    END LOOP;
END;
$types$;

GRANT USAGE ON SCHEMA scheduling TO sessionkeeper_app, sessionkeeper_worker, sessionkeeper_cron, sessionkeeper_webhook;
