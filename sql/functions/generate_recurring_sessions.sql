-- SECURITY DEFINER: apps hold no table privileges; this function is how they change these rows, with its checks.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.generate_recurring_sessions(
    p_template_id uuid,
    p_days_ahead integer DEFAULT 30,
    p_now timestamptz DEFAULT now()
)
RETURNS TABLE (session_id uuid, occurrence_date date, starts_at timestamptz)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    v_template scheduling.session_templates;
    v_to date;
    v_gives_way date[] := '{}';
    v_kept_until timestamptz;
    v_occurrence record;
BEGIN
    PERFORM scheduling_internal.check_now('generate_recurring_sessions', p_now);
    IF p_days_ahead IS NULL OR p_days_ahead < 0 OR p_days_ahead > 3660 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK009',
            MESSAGE = format('generate_recurring_sessions: p_days_ahead must be 0 to 3660, not %s', p_days_ahead);
    END IF;

    -- The row lock serialises concurrent generations of one template; the unique key does the rest.
    v_template := scheduling_internal.lock_template_for_action(p_template_id, 'generate sessions of');
    IF v_template.status <> 'active' THEN
        RETURN;
    END IF;

    -- The new watermark, even when no occurrence is left to create.
    v_to := (scheduling_internal.generation_window(v_template, p_days_ahead, p_now)).to_date;

    -- Held to the end of the transaction: nobody else places a session in this host's time between the check
    -- below and the insert.
    PERFORM scheduling_internal.lock_host_time(v_template.host_id);

    -- Occurrences are at least a calendar day apart, so only a template whose sessions last longer than 23 hours (a
    -- day that loses an hour) can overlap itself. In time order, an occurrence that would start before the last one
    -- to be created ends gives way to it.
    IF v_template.duration > interval '23 hours' THEN
        FOR v_occurrence IN
            SELECT o.occurrence_date, o.starts_at, o.ends_at
            FROM scheduling_internal.occurrences_to_generate(v_template, p_days_ahead, p_now) AS o
            ORDER BY o.starts_at
        LOOP
            IF v_occurrence.starts_at < v_kept_until THEN
                v_gives_way := v_gives_way || v_occurrence.occurrence_date;
            ELSIF (
                scheduling_internal.host_busy_with(v_template.host_id, v_occurrence.starts_at, v_occurrence.ends_at)
            ).id IS NULL THEN
                v_kept_until := v_occurrence.ends_at;
            END IF;
        END LOOP;
    END IF;

    RETURN QUERY
    WITH occurrences AS (
        SELECT
            o.occurrence_date AS occ_date,
            o.starts_at AS occ_starts_at,
            o.ends_at AS occ_ends_at,
            o.visible_from AS occ_visible_from,
            o.occurrence_date = ANY(v_gives_way) AS occ_gives_way
        FROM scheduling_internal.occurrences_to_generate(v_template, p_days_ahead, p_now) AS o
        WHERE NOT EXISTS (
            SELECT 1
            FROM scheduling.sessions AS existing
            WHERE existing.template_id = v_template.id AND existing.occurrence_date = o.occurrence_date
        )
    ),

    checked AS (
        SELECT
            oc.*,
            busy AS occ_busy,
            busy.id IS NOT NULL OR oc.occ_gives_way AS occ_host_busy
        FROM occurrences AS oc
        CROSS JOIN LATERAL scheduling_internal.host_busy_with(
            v_template.host_id, oc.occ_starts_at, oc.occ_ends_at
        ) AS busy
    ),

    busy_logged AS (
        INSERT INTO scheduling.recurring_session_logs (
            template_id, session_id, occurrence_date, action, detail, happened_at
        )
        SELECT
            v_template.id, NULL, ch.occ_date, 'host_busy',
            CASE
                WHEN (ch.occ_busy).id IS NOT NULL
                    THEN scheduling_internal.host_busy_message(ch.occ_busy, ch.occ_starts_at, ch.occ_ends_at)
                ELSE 'not generated: it would overlap the previous occurrence of this template (its sessions last '
                    || v_template.duration || ')'
            END,
            p_now
        FROM checked AS ch
        WHERE ch.occ_host_busy
        RETURNING 1 AS one
    ),

    created AS (
        INSERT INTO scheduling.sessions AS s (
            host_id, title, starts_at, ends_at, time_zone, start_mode, capacity, metadata, reminder_policy_id,
            template_id, occurrence_date, visible_from, is_visible, created_at, updated_at
        )
        SELECT
            v_template.host_id,
            v_template.title,
            oc.occ_starts_at,
            oc.occ_ends_at,
            v_template.time_zone,
            v_template.start_mode,
            v_template.capacity,
            v_template.metadata,
            v_template.reminder_policy_id,
            v_template.id,
            oc.occ_date,
            oc.occ_visible_from,
            oc.occ_visible_from <= p_now,
            p_now,
            p_now
        FROM checked AS oc
        WHERE NOT oc.occ_host_busy
        ORDER BY oc.occ_date
        ON CONFLICT ON CONSTRAINT sessions_template_occurrence_key DO NOTHING
        RETURNING s.id AS new_id, s.occurrence_date AS new_date, s.starts_at AS new_starts_at, s.ends_at AS new_ends_at
    ),

    history AS (
        INSERT INTO scheduling.session_status_history (
            session_id, from_status, to_status, is_delayed, reason, detail, slot_version, happened_at
        )
        SELECT
            c.new_id, NULL, 'scheduled', FALSE, 'automatic',
            format(
                'generated from template %s for %s: %s .. %s', v_template.id, c.new_date, c.new_starts_at,
                c.new_ends_at
            ),
            1, p_now
        FROM created AS c
        RETURNING 1 AS one
    ),

    logged AS (
        INSERT INTO scheduling.recurring_session_logs (
            template_id, session_id, occurrence_date, action, detail, happened_at
        )
        SELECT
            v_template.id, c.new_id, c.new_date, 'generated',
            format('%s .. %s', c.new_starts_at, c.new_ends_at), p_now
        FROM created AS c
        RETURNING 1 AS one
    )

    SELECT c.new_id, c.new_date, c.new_starts_at
    FROM created AS c
    ORDER BY c.new_date;

    UPDATE scheduling.session_templates AS t
    SET generated_until = greatest(t.generated_until, v_to)
    WHERE t.id = v_template.id;
END;
$function$;

COMMENT ON FUNCTION scheduling.generate_recurring_sessions(uuid, integer, timestamptz) IS
'Creates the sessions of an active template for the local dates from today to today + p_days_ahead in the '
'template''s zone (occurrences already started at p_now are not created) and returns them. Idempotent: '
'sessions(template_id, occurrence_date) is unique, dates up to the watermark generated_until are not looked at '
'again, and exception dates (skipped, moved) are never generated. Each session inherits host, title, capacity, '
'start mode, reminder policy and metadata, is visible from the start of its local date (visible_from), and gets '
'a creation history row (NULL -> scheduled, reason automatic) and a recurring_session_logs row. An '
'occurrence whose host already has a live session then (or that overlaps the template''s previous occurrence) is '
'not created: it is logged as host_busy, naming the session that holds the time, and not tried again. A paused or '
'ended template generates nothing. Errors: SK022 unknown template, SK009 p_days_ahead outside 0..3660 or NULL '
'p_now.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: inserts scheduling.sessions with their session_status_history rows (reason automatic) and '
'recurring_session_logs rows (generated, host_busy); takes the host''s time lock to the end of the '
'transaction; updates session_templates.generated_until.';

GRANT EXECUTE ON FUNCTION scheduling.generate_recurring_sessions(uuid, integer, timestamptz) TO sessionkeeper_app;
