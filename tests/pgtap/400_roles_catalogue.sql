-- Least privilege, read from the catalogue: the owner owns everything and is no superuser; the group
-- roles hold USAGE on the schema, EXECUTE on exactly their functions, SELECT on the views (the app) and nothing on
-- any table, sequence or column; PUBLIC holds nothing, now or for what the owner creates later. Schema
-- scheduling_internal (helpers and trigger functions) is the owner's alone.
BEGIN;

-- The four group roles and, per role, the functions it may run (the webhook's come with migration 0008).
CREATE TEMP TABLE t_roles (rolname name PRIMARY KEY);
INSERT INTO t_roles VALUES ('sessionkeeper_app'), ('sessionkeeper_worker'), ('sessionkeeper_cron'),
('sessionkeeper_webhook');
CREATE TEMP TABLE t_granted (rolname name NOT NULL, proname name NOT NULL, PRIMARY KEY (rolname, proname));
INSERT INTO t_granted
SELECT
    'sessionkeeper_app' AS rolname,
    f.proname
FROM
    unnest(ARRAY[
        'create_person', 'create_session', 'start_session', 'complete_session', 'cancel_session', 'mark_no_show',
        'reschedule_session', 'delete_session', 'create_booking', 'create_appointment', 'cancel_booking',
        'reschedule_booking', 'enroll', 'book_next_available', 'create_workshop', 'create_workshop_run',
        'add_workshop_session', 'clone_workshop_sessions', 'create_template', 'update_template', 'pause_template',
        'resume_template', 'end_template', 'skip_template_occurrence', 'generate_recurring_sessions',
        'template_occurrences', 'preview', 'erase_person', 'set_whatsapp_consent', 'update_person',
        'set_working_hours', 'add_working_hours_exception', 'remove_working_hours_exception', 'working_time',
        'free_slots', 'book_next_available_slot', 'host_agenda', 'reminder_activity_by_hour',
        'api_token_actor', 'begin_idempotent_request', 'finish_idempotent_request', 'booking_details',
        'sessions_between', 'workshop_availability'
    ]::name []) AS f (proname)
UNION ALL
SELECT
    'sessionkeeper_worker' AS rolname,
    f.proname
FROM
    unnest(ARRAY[
        'claim_due_reminders', 'record_reminder_sent', 'record_reminder_failure', 'release_reminder',
        'mark_reminder_uncertain', 'record_reminder_outcomes',
        'take_send_tokens', 'return_send_tokens', 'seconds_until_next_reminder',
        'seconds_until_send_tokens', 'worker_heartbeat', 'health', 'health_report', 'halt_sending', 'sender_halt',
        'metrics_snapshot'
    ]::name []) AS f (proname)
UNION ALL
SELECT
    'sessionkeeper_cron' AS rolname,
    f.proname
FROM
    unnest(ARRAY[
        'tick', 'activate_scheduled_sessions', 'auto_close_expired_sessions', 'generate_all_recurring_sessions',
        'archive_closed_sessions', 'purge_old_records', 'health', 'health_report', 'preview'
    ]::name []) AS f (proname)
UNION ALL
SELECT
    'sessionkeeper_webhook' AS rolname,
    f.proname
FROM unnest(ARRAY['record_delivery_status', 'record_inbound_message']::name []) AS f (proname)
WHERE EXISTS (
    SELECT FROM pg_proc AS p
    WHERE p.pronamespace = 'scheduling'::regnamespace AND p.proname = f.proname
);

-- Relations of the schema (tables, views, sequences), per group role: one privilege assertion each.
CREATE TEMP TABLE t_relations AS
SELECT
    c.relname,
    c.relkind
FROM pg_class AS c
WHERE c.relnamespace = 'scheduling'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S');

SELECT plan(36 + 4 * (SELECT count(*)::integer FROM t_relations));

-- The roles themselves.
SELECT isnt_superuser('sessionkeeper_owner', 'the owner is not a superuser');
SELECT is(
    (
        SELECT array_agg(r.rolname::text ORDER BY r.rolname)
        FROM pg_roles AS r
        WHERE
            r.rolname LIKE 'sessionkeeper\_%'
            AND NOT (r.rolcanlogin OR r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolbypassrls)
    ),
    ARRAY[
        'sessionkeeper_app', 'sessionkeeper_cron', 'sessionkeeper_owner', 'sessionkeeper_webhook',
        'sessionkeeper_worker'
    ],
    'five NOLOGIN group roles, none with SUPERUSER, CREATEROLE, CREATEDB or BYPASSRLS'
);
SELECT is(
    (
        SELECT array_agg(format('%s in %s', member.rolname, parent.rolname) ORDER BY member.rolname, parent.rolname)
        FROM pg_roles AS member
        CROSS JOIN pg_roles AS parent
        WHERE
            member.rolname IN (SELECT t.rolname FROM t_roles AS t)
            AND parent.rolname LIKE 'sessionkeeper\_%'
            AND member.oid <> parent.oid
            AND pg_has_role(member.oid, parent.oid, 'MEMBER')
    ),
    NULL,
    'no group role is a member of the owner or of another group role'
);
SELECT is(
    (
        SELECT array_agg(parent.rolname::text ORDER BY parent.rolname)
        FROM pg_auth_members AS m
        INNER JOIN pg_roles AS parent ON m.roleid = parent.oid
        WHERE m.member = 'sessionkeeper_owner'::regrole AND parent.rolname LIKE 'sessionkeeper\_%'
    ),
    ARRAY['sessionkeeper_app'],
    'the owner is a member of sessionkeeper_app only (so `serve` may SET LOCAL ROLE to it per API request)'
);

-- Ownership: the schema and every object in it belong to sessionkeeper_owner.
SELECT schema_owner_is('scheduling', 'sessionkeeper_owner', 'schema scheduling is owned by sessionkeeper_owner');
SELECT is(
    (
        SELECT array_agg(format('%s %s (%s)', c.relkind, c.relname, pg_get_userbyid(c.relowner)) ORDER BY c.relname)
        FROM pg_class AS c
        WHERE c.relnamespace = 'scheduling'::regnamespace AND c.relowner <> 'sessionkeeper_owner'::regrole
    ),
    NULL,
    'every table, view, index and sequence of scheduling is owned by sessionkeeper_owner'
);
SELECT is(
    (
        SELECT array_agg(format('%s (%s)', p.oid::regprocedure, pg_get_userbyid(p.proowner)) ORDER BY p.proname)
        FROM pg_proc AS p
        WHERE p.pronamespace = 'scheduling'::regnamespace AND p.proowner <> 'sessionkeeper_owner'::regrole
    ),
    NULL,
    'every function of scheduling is owned by sessionkeeper_owner'
);
SELECT is(
    (
        SELECT array_agg(format('%s (%s)', p.oid::regprocedure, pg_get_userbyid(p.proowner)) ORDER BY p.proname)
        FROM pg_proc AS p
        WHERE p.pronamespace = 'scheduling_internal'::regnamespace AND p.proowner <> 'sessionkeeper_owner'::regrole
    ),
    NULL,
    'every function of scheduling_internal is owned by sessionkeeper_owner'
);
SELECT is(
    (
        SELECT array_agg(format('%s (%s)', t.oid::regtype, pg_get_userbyid(t.typowner)) ORDER BY t.typname)
        FROM pg_type AS t
        WHERE t.typnamespace = 'scheduling'::regnamespace AND t.typowner <> 'sessionkeeper_owner'::regrole
    ),
    NULL,
    'every type of scheduling is owned by sessionkeeper_owner'
);

-- The schema: USAGE for the group roles, CREATE only for the owner, nothing for PUBLIC.
SELECT schema_privs_are(
    'scheduling', 'sessionkeeper_owner', ARRAY['CREATE', 'USAGE'], 'the owner may use and create in scheduling'
);
SELECT schema_privs_are('scheduling', t.rolname, ARRAY['USAGE'], t.rolname || ' may use scheduling, not create in it')
FROM t_roles AS t
ORDER BY t.rolname;
SELECT is(
    (
        SELECT count(*)::integer
        FROM pg_namespace AS n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) AS a
        WHERE n.nspname = 'scheduling' AND a.grantee = 0
    ),
    0,
    'PUBLIC holds no privilege on schema scheduling'
);

-- Functions: exactly the granted ones per role; nothing for PUBLIC.
SELECT
    set_eq(
        format(
            $$SELECT p.proname FROM pg_proc AS p
        WHERE p.pronamespace = 'scheduling'::regnamespace AND has_function_privilege(%L, p.oid, 'EXECUTE')$$,
            t.rolname
        ),
        format($$SELECT g.proname FROM t_granted AS g WHERE g.rolname = %L$$, t.rolname),
        t.rolname || ' may EXECUTE exactly its own functions'
    )
FROM t_roles AS t
ORDER BY t.rolname;
SELECT is(
    (
        SELECT array_agg(p.oid::regprocedure::text ORDER BY p.proname)
        FROM pg_proc AS p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) AS a
        WHERE p.pronamespace = 'scheduling'::regnamespace AND a.grantee = 0
    ),
    NULL,
    'no function of scheduling grants EXECUTE to PUBLIC (proacl, the built-in default included)'
);
SELECT is(
    (
        SELECT array_agg(format('%s to %s', p.oid::regprocedure, a.grantee) ORDER BY p.proname)
        FROM pg_proc AS p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) AS a
        WHERE p.pronamespace = 'scheduling_internal'::regnamespace AND a.grantee <> p.proowner
    ),
    NULL,
    'no function of scheduling_internal grants EXECUTE to PUBLIC or any role but the owner'
);
SELECT is(
    (
        SELECT array_agg(t.oid::regtype::text ORDER BY t.typname)
        FROM pg_type AS t, aclexplode(coalesce(t.typacl, acldefault('T', t.typowner))) AS a
        WHERE t.typnamespace = 'scheduling'::regnamespace AND t.typtype IN ('e', 'd', 'r', 'm') AND a.grantee = 0
    ),
    NULL,
    'no enum, domain or range type of scheduling grants USAGE to PUBLIC'
);
SELECT is(
    (
        SELECT array_agg(c.relname::text ORDER BY c.relname)
        FROM pg_class AS c, aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) AS a
        WHERE c.relnamespace = 'scheduling'::regnamespace AND a.grantee = 0
    ),
    NULL,
    'no table, view or sequence of scheduling grants anything to PUBLIC'
);

-- Columns: a column grant would slip past table_privs_are; there is none, for anybody but the owner.
SELECT is(
    (
        SELECT array_agg(format('%s.%s to %s', c.relname, att.attname, a.grantee::regrole) ORDER BY c.relname)
        FROM pg_class AS c
        INNER JOIN pg_attribute AS att ON c.oid = att.attrelid
        CROSS JOIN aclexplode(att.attacl) AS a
        WHERE c.relnamespace = 'scheduling'::regnamespace
    ),
    NULL,
    'no column of scheduling carries a column-level grant'
);

-- Tables, views and sequences, per group role: the app reads the views; nothing else for anyone.
SELECT
    CASE
        WHEN r.relkind = 'S'
            THEN sequence_privs_are(
                'scheduling', r.relname, t.rolname, '{}'::text [],
                format('%s has no privilege on sequence scheduling.%s', t.rolname, r.relname)
            )
        WHEN r.relkind = 'v' AND t.rolname = 'sessionkeeper_app'
            THEN table_privs_are(
                'scheduling', r.relname, t.rolname, ARRAY['SELECT'],
                format('%s may only SELECT from view scheduling.%s', t.rolname, r.relname)
            )
        ELSE table_privs_are(
            'scheduling', r.relname, t.rolname, '{}'::text [],
            format(
                '%s has no privilege on %s scheduling.%s', t.rolname,
                CASE r.relkind WHEN 'v' THEN 'view' ELSE 'table' END, r.relname
            )
        )
    END
FROM t_relations AS r
CROSS JOIN t_roles AS t
ORDER BY r.relkind, r.relname, t.rolname;

-- A role with no grant at all stands for PUBLIC: it cannot even look into the schema.
CREATE ROLE t_roles_nobody NOLOGIN;
SELECT schema_privs_are('scheduling', 't_roles_nobody', '{}'::text [], 'a role without grants has no schema privilege');
SELECT is(
    (
        SELECT array_agg(p.oid::regprocedure::text ORDER BY p.proname)
        FROM pg_proc AS p
        WHERE p.pronamespace = 'scheduling'::regnamespace AND has_function_privilege('t_roles_nobody', p.oid, 'EXECUTE')
    ),
    NULL,
    'a role without grants may execute no function of scheduling'
);
SET LOCAL ROLE t_roles_nobody;
SELECT throws_ok(
    'SELECT * FROM scheduling.upcoming_sessions',
    '42501', 'permission denied for schema scheduling', 'a role without grants cannot read a view (42501)'
);
SELECT throws_ok(
    'SELECT count(*) FROM scheduling.sessions',
    '42501', 'permission denied for schema scheduling', 'a role without grants cannot read a table (42501)'
);
SELECT throws_ok(
    $$SELECT scheduling.create_person('Mallory', '+4915112345600', 'UTC')$$,
    '42501', 'permission denied for schema scheduling',
    'a role without grants cannot call an app function (42501)'
);
SELECT throws_ok(
    'SELECT scheduling.health()',
    '42501', 'permission denied for schema scheduling', 'a role without grants cannot call health (42501)'
);
SELECT throws_ok(
    $$SELECT 'scheduled'::scheduling.session_status$$, '42501', 'permission denied for schema scheduling',
    'a role without grants cannot name a type of scheduling (42501)'
);
-- Row types of tables and views keep PostgreSQL's default (USAGE for PUBLIC, typacl NULL); the schema is what
-- keeps them out of reach.
SELECT throws_ok(
    'SELECT NULL::scheduling.sessions', '42501', 'permission denied for schema scheduling',
    'a role without grants cannot name a table''s row type either (42501)'
);
RESET ROLE;

-- Default privileges: what the owner creates later grants nothing to PUBLIC either.
SET LOCAL ROLE sessionkeeper_owner;
CREATE FUNCTION scheduling.t_roles_probe() RETURNS integer LANGUAGE sql AS 'SELECT 1';
CREATE FUNCTION scheduling_internal.t_roles_probe() RETURNS integer LANGUAGE sql AS 'SELECT 1';
CREATE TYPE scheduling.t_roles_probe_kind AS ENUM ('a');
CREATE TABLE scheduling.t_roles_probe_table (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
RESET ROLE;
SELECT ok(
    NOT has_function_privilege('t_roles_nobody', 'scheduling.t_roles_probe()', 'EXECUTE')
    AND NOT has_function_privilege('sessionkeeper_app', 'scheduling.t_roles_probe()', 'EXECUTE'),
    'a function the owner creates later is not executable by PUBLIC (default privileges)'
);
SELECT ok(
    NOT has_function_privilege('t_roles_nobody', 'scheduling_internal.t_roles_probe()', 'EXECUTE'),
    'nor is one it creates later in scheduling_internal'
);
SELECT ok(
    NOT has_type_privilege('t_roles_nobody', 'scheduling.t_roles_probe_kind', 'USAGE'),
    'a type the owner creates later is not usable by PUBLIC (default privileges)'
);
SELECT is(
    (
        SELECT array_agg(t.rolname::text ORDER BY t.rolname)
        FROM t_roles AS t
        WHERE has_table_privilege(t.rolname, 'scheduling.t_roles_probe_table', 'SELECT,INSERT,UPDATE,DELETE')
    ),
    NULL,
    'a table the owner creates later grants nothing to the group roles'
);

SELECT * FROM finish();
ROLLBACK;
