-- SECURITY DEFINER: apps and the cron role hold no table privileges; this is how they may read what would happen.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.preview(p_at timestamptz)
RETURNS TABLE (
    kind text,
    id uuid,
    title text,
    from_state text,
    to_state text,
    is_delayed boolean,
    happens_at timestamptz,
    detail text,
    session_id uuid,
    booking_id uuid,
    reminder_key text,
    due_at timestamptz,
    occurrence_date date
)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    -- What the nightly generation job uses (sql/cron/generate_recurring.sql).
    c_days_ahead CONSTANT integer := scheduling_internal.default_generation_days();
BEGIN
    IF p_at IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'SK009', MESSAGE = 'preview: p_at must be a finite time, not NULL';
    END IF;
    PERFORM scheduling_internal.check_time_range('preview: p_at', p_at);

    -- Reads only (STABLE: a write would fail), takes no row lock, uses no sequence, sends nothing. Each part
    -- asks the rule the writing function uses: session_step_due and session_steps (tick,
    -- auto_close_expired_sessions), reminder_block_reason (claim_due_reminders), occurrences_to_generate
    -- (generate_recurring_sessions).
    RETURN QUERY
    WITH moves AS (
        SELECT s.id, s.title, s.status, s.starts_at, s.ends_at, n.next_status, n.next_is_delayed
        FROM scheduling.sessions AS s
        CROSS JOIN LATERAL scheduling_internal.session_step_due(
            s.status, s.start_mode, s.is_delayed, s.starts_at, s.ends_at, p_at
        ) AS n
        WHERE
            s.deleted_at IS NULL
            AND s.status IN ('scheduled', 'in_progress')
            -- Every due step has starts_at <= p_at (a slot ends after it starts): lets sessions_starts_at_idx help.
            AND s.starts_at <= p_at
            AND n.next_status IS NOT NULL
    ),

    session_rows AS (
        SELECT
            'session'::text AS r_kind,
            1 AS r_kind_order,
            m.id AS r_id,
            m.title AS r_title,
            st.from_status::text AS r_from,
            st.to_status::text AS r_to,
            st.is_delayed AS r_is_delayed,
            st.happens_at AS r_at,
            st.detail AS r_detail,
            m.id AS r_session_id,
            NULL::uuid AS r_booking_id,
            NULL::text AS r_key,
            NULL::timestamptz AS r_due_at,
            NULL::date AS r_occurrence_date,
            st.step AS r_step
        FROM moves AS m
        CROSS JOIN LATERAL scheduling_internal.session_steps(
            m.status, m.next_status, m.next_is_delayed, m.starts_at, m.ends_at
        )
            AS st
    ),

    -- The rows claim_due_reminders would look at if it ran at p_at, with its re-check.
    reminder_checks AS (
        SELECT
            r.id,
            r.reminder_key,
            r.booking_id,
            r.session_id,
            r.state,
            r.due_at,
            r.deadline_at,
            s.title,
            CASE WHEN r.state = 'pending' THEN r.next_attempt_at ELSE r.lease_expires_at END AS claimable_at,
            scheduling_internal.reminder_block_reason(r, b, s, p, p_at) AS why
        FROM scheduling.reminders AS r
        INNER JOIN scheduling.bookings AS b ON r.booking_id = b.id
        INNER JOIN scheduling.sessions AS s ON r.session_id = s.id
        INNER JOIN scheduling.people AS p ON r.person_id = p.id
        WHERE
            (r.state = 'pending' AND r.next_attempt_at <= p_at)
            OR (r.state = 'leased' AND r.lease_expires_at <= p_at)
    ),

    reminder_rows AS (
        SELECT
            'reminder'::text,
            2,
            c.id,
            c.title,
            c.state::text,
            CASE
                WHEN c.why IS NULL THEN 'leased'
                WHEN c.deadline_at <= p_at THEN 'expired'
                ELSE 'skipped'
            END,
            NULL::boolean,
            c.claimable_at,
            coalesce(
                c.why,
                CASE
                    WHEN c.state = 'leased' THEN 'claimable again: its lease expired (it may have been sent)'
                    ELSE 'claimable: due and passes the claim-time re-check'
                END
            ),
            c.session_id,
            c.booking_id,
            c.reminder_key,
            c.due_at,
            NULL::date,
            1
        FROM reminder_checks AS c
    ),

    generated_rows AS (
        SELECT
            'generated'::text,
            3,
            t.id,
            t.title,
            NULL::text,
            'scheduled'::text,
            NULL::boolean,
            o.starts_at,
            format('from template %s for %s: %s .. %s', t.id, o.occurrence_date, o.starts_at, o.ends_at),
            NULL::uuid,
            NULL::uuid,
            NULL::text,
            NULL::timestamptz,
            o.occurrence_date,
            1
        FROM scheduling_internal.occurrences_to_generate(
            ARRAY(SELECT a.id FROM scheduling.session_templates AS a WHERE a.status = 'active'), c_days_ahead, p_at
        ) AS o
        INNER JOIN scheduling.session_templates AS t ON t.id = o.template_id
        WHERE
            -- What the unique key sessions(template_id, occurrence_date) would drop.
            NOT EXISTS (
                SELECT 1
                FROM scheduling.sessions AS s
                WHERE s.template_id = t.id AND s.occurrence_date = o.occurrence_date
            )
    ),

    all_rows AS (
        SELECT * FROM session_rows
        UNION ALL
        SELECT * FROM reminder_rows
        UNION ALL
        SELECT * FROM generated_rows
    )

    SELECT
        a.r_kind, a.r_id, a.r_title, a.r_from, a.r_to, a.r_is_delayed, a.r_at, a.r_detail, a.r_session_id,
        a.r_booking_id, a.r_key, a.r_due_at, a.r_occurrence_date
    FROM all_rows AS a
    ORDER BY a.r_kind_order, a.r_at, a.r_id, a.r_step;
END;
$function$;

COMMENT ON FUNCTION scheduling.preview(timestamptz) IS
'What would happen by p_at if tick and the scheduled jobs ran then, one row per change, without doing it. '
'kind session: each step tick (and auto_close_expired_sessions, the same step) '
'would make: id, title, from_state -> to_state, is_delayed, happens_at (starts_at or ends_at), detail as the '
'history row would say it; a scheduled automatic session whose whole slot passed gives two rows. kind reminder: '
'each pending row due by p_at (or leased with its lease expired) that claim_due_reminders would claim (to_state '
'leased), skip (skipped) or expire (expired), by the claim''s own re-check; happens_at is when it became '
'claimable, due_at its planned time, detail the reason; recipient pacing may spread the claims over several '
'calls. kind generated: each session the nightly generation (30 days ahead of p_at) would create that does not '
'exist: id and title of the template, occurrence_date, happens_at its starts_at. Ordered by kind, then time.'
' SK009 when p_at is NULL, infinite or outside the years 1900 to 9999.'
' Side effects: none (reads only).';

GRANT EXECUTE ON FUNCTION scheduling.preview(timestamptz) TO sessionkeeper_app, sessionkeeper_cron;
