-- SECURITY DEFINER: the cron role holds no table privileges; this job is what it may run.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.generate_all_recurring_sessions(
    p_days_ahead integer DEFAULT 30,
    p_now timestamptz DEFAULT now()
)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    c_max_failures CONSTANT integer := 50;
    v_ids uuid [];
    v_template_id uuid;
    v_templates integer;
    v_failed integer := 0;
    v_created integer := 0;
    v_count integer;
    v_failures jsonb := '[]'::jsonb;
    v_error_state text;
    v_error_message text;
BEGIN
    PERFORM scheduling_internal.check_now('generate_all_recurring_sessions', p_now);
    -- Checked here too: a bad value would otherwise fail every template one by one, each logged as a failure.
    IF p_days_ahead IS NULL OR p_days_ahead < 0 OR p_days_ahead > 3660 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK009',
            MESSAGE = format('generate_all_recurring_sessions: p_days_ahead must be 0 to 3660, not %s', p_days_ahead);
    END IF;

    -- Oldest template first: of two templates of one host that collide, the older keeps the time.
    SELECT coalesce(array_agg(t.id ORDER BY t.created_at, t.id), '{}')
    INTO v_ids
    FROM scheduling.session_templates AS t
    WHERE t.status = 'active';
    v_templates := cardinality(v_ids);

    -- The fast path: every template in one set-based pass, in one sub-transaction. If any template fails, that
    -- pass is rolled back as a whole and the templates are generated one by one below, each in its own
    -- sub-transaction, so that the failing one is reported and the others are generated. Both give the same rows.
    BEGIN
        SELECT count(*)::integer INTO v_created
        FROM scheduling_internal.generate_templates(v_ids, p_days_ahead, p_now);
        v_ids := '{}';
    EXCEPTION WHEN OTHERS THEN
        v_created := 0;
    END;

    FOREACH v_template_id IN ARRAY v_ids LOOP
        BEGIN
            SELECT count(*)::integer INTO v_count
            FROM scheduling.generate_recurring_sessions(v_template_id, p_days_ahead, p_now);
            v_created := v_created + v_count;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS
                v_error_state = RETURNED_SQLSTATE,
                v_error_message = MESSAGE_TEXT;
            v_failed := v_failed + 1;
            IF v_failed <= c_max_failures THEN
                v_failures := v_failures || jsonb_build_array(
                    jsonb_build_object('template_id', v_template_id, 'sqlstate', v_error_state, 'message', v_error_message)
                );
            END IF;
            INSERT INTO scheduling.recurring_session_logs (template_id, action, detail, happened_at)
            VALUES (v_template_id, 'failed', format('[%s] %s', v_error_state, v_error_message), p_now);
        END;
    END LOOP;

    RETURN jsonb_build_object(
        'templates', v_templates,
        'succeeded', v_templates - v_failed,
        'failed', v_failed,
        'created', v_created,
        'failures', v_failures
    );
END;
$function$;

COMMENT ON FUNCTION scheduling.generate_all_recurring_sessions(integer, timestamptz) IS
'What pg_cron runs daily (job sessionkeeper-generate-recurring): generates every active template''s sessions '
'with the rules of generate_recurring_sessions, all templates in one set-based pass (generate_templates) in a '
'sub-transaction; when that pass fails, it is rolled back and every template is generated on its own, each in its '
'own sub-transaction, so that one failing template does not stop the others (its error is logged in '
'recurring_session_logs with action failed). Of two templates of one host that collide, the older one (created_at, '
'then id) keeps the time, either way. Returns {templates, succeeded, failed, created, failures: '
'[{template_id, sqlstate, message}] (first 50)}.'
' Errors: SK009 NULL p_now or p_days_ahead outside 0..3660 (checked once, before any template).'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: those of generate_recurring_sessions for every active template; a template that fails gets a '
'scheduling.recurring_session_logs row (action failed) and its own writes are rolled back.';

GRANT EXECUTE ON FUNCTION scheduling.generate_all_recurring_sessions(integer, timestamptz) TO sessionkeeper_cron;
