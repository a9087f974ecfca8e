CREATE OR REPLACE FUNCTION scheduling.advance_due_sessions(
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
    -- their history. A scheduled automatic session whose whole slot has passed goes straight to
    -- completed with two history rows. started_at/completed_at get the logical due time.
    RETURN QUERY
    WITH due_start AS (
        SELECT s.id, s.status AS old_status
        FROM scheduling.sessions AS s
        WHERE
            s.status = 'scheduled'
            AND s.deleted_at IS NULL
            AND s.starts_at <= p_now
            AND (p_session_id IS NULL OR s.id = p_session_id)
        FOR UPDATE OF s SKIP LOCKED
    ),

    due_complete AS (
        SELECT s.id, s.status AS old_status
        FROM scheduling.sessions AS s
        WHERE
            s.status = 'in_progress'
            AND NOT s.is_delayed
            AND s.deleted_at IS NULL
            AND s.ends_at <= p_now
            AND (p_session_id IS NULL OR s.id = p_session_id)
        FOR UPDATE OF s SKIP LOCKED
    ),

    due AS (
        SELECT ds.id, ds.old_status FROM due_start AS ds
        UNION ALL
        SELECT dc.id, dc.old_status FROM due_complete AS dc
    ),

    moved AS (
        UPDATE scheduling.sessions AS s
        SET
            status = (
                CASE
                    WHEN s.status = 'in_progress' THEN 'completed'
                    WHEN s.start_mode = 'host_started' THEN 'in_progress'
                    WHEN s.ends_at <= p_now THEN 'completed'
                    ELSE 'in_progress'
                END
            )::scheduling.session_status,
            is_delayed = (s.status = 'scheduled' AND s.start_mode = 'host_started'),
            started_at = CASE WHEN s.status = 'scheduled' THEN s.starts_at ELSE s.started_at END,
            completed_at = (
                CASE
                    WHEN s.status = 'in_progress' THEN s.ends_at
                    WHEN s.start_mode = 'automatic' AND s.ends_at <= p_now THEN s.ends_at
                    ELSE s.completed_at
                END
            )
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
            st.step_from,
            st.step_to,
            st.step_is_delayed,
            'automatic',
            st.step_detail,
            m.moved_slot_version,
            p_now
        FROM moved AS m
        CROSS JOIN LATERAL (
            VALUES
            (
                1,
                m.moved_from,
                (
                    CASE WHEN m.moved_from = 'scheduled' THEN 'in_progress' ELSE 'completed' END
                )::scheduling.session_status,
                m.moved_from = 'scheduled' AND m.moved_is_delayed,
                CASE
                    WHEN m.moved_from = 'in_progress' THEN format('completed at ends_at %s', m.moved_ends_at)
                    WHEN m.moved_is_delayed
                        THEN format('delayed: not started by the host by starts_at %s', m.moved_starts_at)
                    ELSE format('started at starts_at %s', m.moved_starts_at)
                END
            ),
            (
                2,
                'in_progress'::scheduling.session_status,
                'completed'::scheduling.session_status,
                FALSE,
                format('completed at ends_at %s (whole slot passed before a tick)', m.moved_ends_at)
            )
        ) AS st (step, step_from, step_to, step_is_delayed, step_detail)
        WHERE st.step = 1 OR (m.moved_from = 'scheduled' AND m.moved_to = 'completed')
        ORDER BY m.moved_starts_at, m.moved_id, st.step
        RETURNING 1 AS one
    )

    SELECT m.moved_id, m.moved_from, m.moved_to, m.moved_is_delayed
    FROM moved AS m
    ORDER BY m.moved_starts_at, m.moved_id;
END;
$function$;

COMMENT ON FUNCTION scheduling.advance_due_sessions(timestamptz, uuid) IS
'Internal step of scheduling.tick(): in one set-based statement, moves every due, unlocked, not deleted '
'session (or only p_session_id) one lifecycle step: scheduled -> in_progress at starts_at (is_delayed for '
'host_started mode), in_progress (not delayed) -> completed at ends_at, scheduled -> completed when an '
'automatic session''s whole slot passed (two history rows). Returns one row per moved session (first and '
'final status). Does not take the tick lock; call tick() instead.';
