-- The public interface: `\df scheduling.*` lists exactly the functions apps, the worker, the webhook, pg_cron and
-- DBAs call. Helpers and trigger functions live in scheduling_internal, which nobody but the owner may use. A new
-- function in scheduling has to be added to the list below on purpose.
BEGIN;
SELECT plan(14);

SELECT is(
    (
        SELECT array_agg(p.oid::regprocedure::text ORDER BY p.proname)
        FROM pg_proc AS p
        WHERE p.pronamespace = 'scheduling'::regnamespace AND p.prorettype = 'trigger'::regtype
    ),
    NULL,
    'schema scheduling holds no trigger function'
);

SELECT set_eq(
    $$SELECT p.proname::text FROM pg_proc AS p WHERE p.pronamespace = 'scheduling'::regnamespace$$,
    ARRAY[
        -- sessions, bookings, workshops, templates (the app)
        'create_person', 'create_session', 'start_session', 'complete_session', 'cancel_session', 'mark_no_show',
        'reschedule_session', 'delete_session', 'create_booking', 'create_appointment', 'cancel_booking',
        'reschedule_booking', 'enroll', 'book_next_available', 'create_workshop', 'create_workshop_run',
        'add_workshop_session', 'clone_workshop_sessions', 'create_template', 'update_template', 'pause_template',
        'resume_template', 'end_template', 'skip_template_occurrence', 'generate_recurring_sessions',
        'template_occurrences', 'preview', 'erase_person', 'set_whatsapp_consent', 'update_person',
        'set_working_hours', 'add_working_hours_exception', 'remove_working_hours_exception', 'working_time',
        'free_slots', 'book_next_available_slot', 'host_agenda',
        -- the HTTP API of `sessionkeeper serve` (runs as the app)
        'api_token_actor', 'begin_idempotent_request', 'finish_idempotent_request', 'booking_details',
        'sessions_between', 'workshop_availability',
        -- the reminder worker
        'claim_due_reminders', 'record_reminder_sent', 'record_reminder_failure', 'release_reminder',
        'mark_reminder_uncertain', 'record_reminder_outcomes',
        'take_send_tokens', 'return_send_tokens', 'seconds_until_next_reminder',
        'seconds_until_send_tokens', 'worker_heartbeat', 'health', 'health_report', 'halt_sending', 'sender_halt',
        'metrics_snapshot',
        -- the webhook
        'record_delivery_status', 'record_inbound_message',
        -- tick and the scheduled jobs
        'tick', 'activate_scheduled_sessions', 'auto_close_expired_sessions', 'generate_all_recurring_sessions',
        'archive_closed_sessions', 'purge_old_records',
        -- DBAs and the CLI
        'create_demo_data', 'create_reminder_policy', 'refresh_time_zones', 'retry_failed_reminders',
        'reminder_activity_by_hour',
        'set_send_rate', 'resume_sending', 'set_max_lease_expiries', 'set_retention_age', 'upsert_message_template',
        'create_api_token', 'revoke_api_token'
    ],
    'the functions of schema scheduling are exactly the public API'
);

SELECT is(
    (
        SELECT array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text)
        FROM pg_proc AS p
        WHERE
            p.pronamespace IN ('scheduling'::regnamespace, 'scheduling_internal'::regnamespace)
            AND btrim(coalesce(obj_description(p.oid, 'pg_proc'), '')) = ''
    ),
    NULL,
    'every function of scheduling and scheduling_internal has a COMMENT'
);
SELECT is(
    (
        SELECT array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text)
        FROM pg_proc AS p
        WHERE
            p.pronamespace IN ('scheduling'::regnamespace, 'scheduling_internal'::regnamespace)
            AND strpos(coalesce(obj_description(p.oid, 'pg_proc'), ''), 'Side effects:') = 0
    ),
    NULL,
    'every function COMMENT says what else the function changes, queues or notifies (Side effects: ...)'
);

SELECT schema_owner_is(
    'scheduling_internal', 'sessionkeeper_owner', 'schema scheduling_internal is owned by sessionkeeper_owner'
);
SELECT ok(
    length(btrim(coalesce(obj_description('scheduling_internal'::regnamespace, 'pg_namespace'), ''))) > 0,
    'schema scheduling_internal has a COMMENT'
);

SELECT is(
    (
        SELECT array_agg(a.grantee::regrole::text ORDER BY a.grantee)
        FROM pg_namespace AS n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) AS a
        WHERE n.nspname = 'scheduling_internal' AND a.grantee <> n.nspowner
    ),
    NULL,
    'schema scheduling_internal grants nothing to PUBLIC or any role but its owner'
);
SELECT is(
    (
        SELECT array_agg(r.rolname::text ORDER BY r.rolname)
        FROM
            unnest(ARRAY[
                'sessionkeeper_app', 'sessionkeeper_worker', 'sessionkeeper_cron', 'sessionkeeper_webhook'
            ]::name []) AS r (rolname)
        WHERE has_schema_privilege(r.rolname, 'scheduling_internal', 'USAGE')
    ),
    NULL,
    'no group role may use schema scheduling_internal'
);

SELECT is(
    (
        SELECT array_agg(format('%s on %s', t.tgname, t.tgrelid::regclass) ORDER BY t.tgname)
        FROM pg_trigger AS t
        INNER JOIN pg_class AS c ON t.tgrelid = c.oid
        INNER JOIN pg_proc AS p ON t.tgfoid = p.oid
        WHERE
            NOT t.tgisinternal
            AND c.relnamespace = 'scheduling'::regnamespace
            AND p.pronamespace <> 'scheduling_internal'::regnamespace
    ),
    NULL,
    'every trigger on a table of scheduling calls a function of scheduling_internal'
);
SELECT cmp_ok(
    (
        SELECT count(*)::integer
        FROM pg_trigger AS t
        INNER JOIN pg_class AS c ON t.tgrelid = c.oid
        WHERE NOT t.tgisinternal AND c.relnamespace = 'scheduling'::regnamespace
    ),
    '>=',
    14,
    'the tables of scheduling do have their triggers'
);


-- What a session change sets off is visible on the table it changes: a trigger named for it, whoever writes the row.
SELECT trigger_is(
    'scheduling', 'sessions', 'sessions_replan_reminders', 'scheduling_internal', 'sessions_replan_reminders',
    'reminders are cancelled and replanned by trigger sessions_replan_reminders on scheduling.sessions'
);
SELECT matches(
    (
        SELECT pg_get_triggerdef(t.oid)
        FROM pg_trigger AS t
        WHERE t.tgrelid = 'scheduling.sessions'::regclass AND t.tgname = 'sessions_replan_reminders'
    ),
    '^CREATE TRIGGER sessions_replan_reminders AFTER UPDATE OF status, slot_version, deleted_at '
    || 'ON scheduling\.sessions FOR EACH ROW WHEN ',
    'sessions_replan_reminders fires after each UPDATE of a session''s status, slot or deletion'
);
SELECT hasnt_trigger(
    'scheduling', 'session_status_history', 'session_status_history_replan',
    'the history table sets nothing off: writing a history row replans no reminder'
);
SELECT trigger_is(
    'scheduling', 'bookings', 'bookings_waitlist_promote', 'scheduling_internal', 'bookings_waitlist_promote',
    'a freed seat goes to the waitlist by trigger bookings_waitlist_promote on scheduling.bookings'
);

SELECT * FROM finish();
ROLLBACK;
