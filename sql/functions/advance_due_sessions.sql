CREATE OR REPLACE FUNCTION scheduling_internal.advance_due_sessions(
    p_now timestamptz DEFAULT now(),
    p_session_id uuid DEFAULT NULL
)
RETURNS TABLE (
    session_id uuid,
    from_status scheduling.session_status,
    to_status scheduling.session_status,
    is_delayed boolean
)
LANGUAGE plpgsql
AS $function$
BEGIN
    -- One statement: lock the due rows (skipping rows other transactions hold), move them, and write
    -- their history. The two partial indexes find the candidates; session_step_due, the rule preview uses
    -- too, decides each one's next status. A scheduled automatic session whose whole slot has passed goes
    -- straight to completed with two history rows (session_steps). started_at (a real start only),
    -- delayed_since (a host_started session nobody started) and completed_at get the logical due time.
    RETURN QUERY
    WITH due_start AS (
        SELECT s.id, s.status AS old_status, n.next_status, n.next_is_delayed
        FROM scheduling.sessions AS s
        CROSS JOIN LATERAL scheduling_internal.session_step_due(
            s.status, s.start_mode, s.is_delayed, s.starts_at, s.ends_at, p_now
        ) AS n
        WHERE
            s.status = 'scheduled'
            AND s.deleted_at IS NULL
            AND s.starts_at <= p_now
            AND n.next_status IS NOT NULL
            AND (p_session_id IS NULL OR s.id = p_session_id)
        FOR UPDATE OF s SKIP LOCKED
    ),

    due_complete AS (
        SELECT s.id, s.status AS old_status, n.next_status, n.next_is_delayed
        FROM scheduling.sessions AS s
        CROSS JOIN LATERAL scheduling_internal.session_step_due(
            s.status, s.start_mode, s.is_delayed, s.starts_at, s.ends_at, p_now
        ) AS n
        WHERE
            s.status = 'in_progress'
            AND NOT s.is_delayed
            AND s.deleted_at IS NULL
            AND s.ends_at <= p_now
            AND n.next_status IS NOT NULL
            AND (p_session_id IS NULL OR s.id = p_session_id)
        FOR UPDATE OF s SKIP LOCKED
    ),

    due AS (
        SELECT ds.id, ds.old_status, ds.next_status, ds.next_is_delayed FROM due_start AS ds
        UNION ALL
        SELECT dc.id, dc.old_status, dc.next_status, dc.next_is_delayed FROM due_complete AS dc
    ),

    moved AS (
        UPDATE scheduling.sessions AS s
        SET
            status = d.next_status,
            is_delayed = d.next_is_delayed,
            started_at = CASE
                WHEN d.old_status = 'scheduled' AND NOT d.next_is_delayed THEN s.starts_at ELSE s.started_at
            END,
            delayed_since = CASE
                WHEN d.old_status = 'scheduled' AND d.next_is_delayed THEN s.starts_at ELSE s.delayed_since
            END,
            completed_at = CASE WHEN d.next_status = 'completed' THEN s.ends_at ELSE s.completed_at END,
            changed_at = p_now
        FROM due AS d
        WHERE s.id = d.id
        RETURNING
            s.id AS moved_id,
            d.old_status AS moved_from,
            s.status AS moved_to,
            s.is_delayed AS moved_is_delayed,
            s.starts_at AS moved_starts_at,
            s.ends_at AS moved_ends_at,
            s.slot_version AS moved_slot_version
    ),

    written AS (
        INSERT INTO scheduling.session_status_history (
            session_id, from_status, to_status, is_delayed, reason, detail, slot_version, happened_at
        )
        SELECT
            m.moved_id,
            st.from_status,
            st.to_status,
            st.is_delayed,
            'automatic',
            st.detail,
            m.moved_slot_version,
            p_now
        FROM moved AS m
        CROSS JOIN LATERAL scheduling_internal.session_steps(
            m.moved_from, m.moved_to, m.moved_is_delayed, m.moved_starts_at, m.moved_ends_at
        ) AS st
        ORDER BY m.moved_starts_at, m.moved_id, st.step
        RETURNING 1 AS one
    )

    SELECT m.moved_id, m.moved_from, m.moved_to, m.moved_is_delayed
    FROM moved AS m
    ORDER BY m.moved_starts_at, m.moved_id;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.advance_due_sessions(timestamptz, uuid) IS
'Internal step of scheduling.tick(): in one set-based statement, moves every due, unlocked, not deleted '
'session (or only p_session_id) one lifecycle step: scheduled -> in_progress at starts_at (is_delayed for '
'host_started mode, then delayed_since = starts_at and started_at stays NULL; otherwise started_at = starts_at), '
'in_progress (not delayed) -> completed at ends_at (completed_at = ends_at), scheduled -> completed when an '
'automatic session''s whole slot passed (two history rows). Returns one row per moved session (first and '
'final status). Does not take the tick lock; call tick() instead.'
' Side effects: updates scheduling.sessions (changed_at = p_now) and inserts session_status_history rows (reason '
'automatic); trigger sessions_replan_reminders expires the moved sessions'' open reminders. No NOTIFY (the '
'callers send it).';
