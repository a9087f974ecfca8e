-- Schema scheduling_internal: the helpers and trigger functions, so that `\df scheduling.*` lists exactly the
-- public API (what apps, the worker, the webhook, pg_cron and DBAs call).
--
-- scheduling_internal belongs to sessionkeeper_owner and grants nothing to anyone: PUBLIC and the group roles get
-- no USAGE. The public functions are SECURITY DEFINER and run as the owner, so they reach the helpers; the trigger
-- functions fire inside them, as the owner too. 0007's default privileges (for role sessionkeeper_owner, in every
-- schema) already keep EXECUTE on the owner's new routines from PUBLIC.
--
-- A database made before this migration has the helpers in schema scheduling: they move, by name, with ALTER
-- FUNCTION ... SET SCHEMA, which keeps their triggers attached and their grants, then sql/ is re-applied and
-- replaces them in place. On a fresh database sql/ has not run yet, so nothing moves.
--
-- Creating a schema needs CREATE on the database, which the migrating login has (the owner role does not): hence
-- RESET ROLE first, then the rest as the owner again.

RESET ROLE;

CREATE SCHEMA scheduling_internal AUTHORIZATION sessionkeeper_owner;

SELECT set_config('role', 'sessionkeeper_owner', TRUE);

COMMENT ON SCHEMA scheduling_internal IS
'sessionkeeper''s internal helpers and trigger functions: not an API, they may change between releases. '
'Only the owner role may use it; the public functions of schema scheduling call these as the owner.';

REVOKE ALL ON SCHEMA scheduling_internal FROM PUBLIC; -- noqa: CP02

DO $move$
DECLARE
    v_routine regprocedure;
BEGIN
    FOR v_routine IN
        SELECT p.oid::regprocedure
        FROM pg_catalog.pg_proc AS p
        WHERE
            p.pronamespace = 'scheduling'::regnamespace
            AND (
                p.prorettype = 'pg_catalog.trigger'::regtype
                OR p.proname = ANY (ARRAY[
                    'advance_due_sessions', 'apply_delivery_events', 'apply_provider_event', 'cancel_open_reminders',
                    'check_actor_and_now', 'check_now', 'check_provider_message', 'check_text_length',
                    'check_time_range', 'format_local_time', 'generation_window', 'human_duration',
                    'local_to_instant', 'lock_provider_message', 'lock_reminder_for_worker', 'lock_send_rate_limit',
                    'lock_session_for_action', 'lock_template_for_action', 'notify_session_status',
                    'occurrences_to_generate', 'parse_rrule', 'plan_booking_reminders', 'promote_waitlist',
                    'queue_cancellation_message', 'quiet_hours_end', 'record_manual_session_change',
                    'reminder_block_reason', 'reminder_parameters', 'reminder_policy_of_session',
                    'remove_future_occurrences', 'render_template', 'rrule_dates', 'session_step_due',
                    'session_steps'
                ])
            )
    LOOP
        EXECUTE format('ALTER ROUTINE %s SET SCHEMA scheduling_internal', v_routine);
    END LOOP;
END;
$move$;
