CREATE OR REPLACE FUNCTION scheduling_internal.remove_future_occurrences(
    p_template_id uuid,
    p_reason text,
    p_actor text,
    p_now timestamptz
)
RETURNS jsonb
LANGUAGE plpgsql
AS $function$
DECLARE
    v_removed integer;
    v_kept jsonb;
BEGIN
    -- Future, scheduled, live sessions of the template. Kept: booked (a confirmed booking), moved by hand
    -- (slot_version > 1 or a moved exception). Removed: the others, soft-deleted (status deleted, as delete_session
    -- does) and detached from their occurrence date (occurrence_date NULL) so that the date may be generated again.
    WITH future AS (
        SELECT
            s.id,
            s.occurrence_date AS occ_date,
            s.starts_at,
            CASE
                WHEN EXISTS (
                    SELECT 1 FROM scheduling.bookings AS b
                    WHERE b.session_id = s.id AND b.status = 'confirmed'
                ) THEN 'booked'
                WHEN s.slot_version > 1 OR EXISTS (
                    SELECT 1 FROM scheduling.template_exceptions AS e
                    WHERE e.template_id = s.template_id AND e.occurrence_date = s.occurrence_date AND e.kind = 'moved'
                ) THEN 'moved by hand'
            END AS keep_reason
        FROM scheduling.sessions AS s
        WHERE
            s.template_id = p_template_id
            AND s.deleted_at IS NULL
            AND s.status = 'scheduled'
            AND s.starts_at > p_now
        FOR UPDATE OF s
    ),

    removed AS (
        UPDATE scheduling.sessions AS s
        SET
            status = 'deleted',
            deleted_from_status = s.status,
            deleted_at = p_now,
            deleted_reason = p_reason,
            occurrence_date = NULL,
            changed_at = p_now
        FROM future AS f
        WHERE s.id = f.id AND f.keep_reason IS NULL
        RETURNING s.id AS removed_id, f.occ_date AS removed_date, s.deleted_from_status AS removed_status,
        s.slot_version AS removed_slot_version
    ),

    history AS (
        INSERT INTO scheduling.session_status_history (
            session_id, from_status, to_status, is_delayed, reason, detail, actor, slot_version, happened_at
        )
        SELECT
            r.removed_id, r.removed_status, 'deleted', FALSE, 'manual', 'deleted: ' || p_reason,
            coalesce(p_actor, session_user), r.removed_slot_version, p_now
        FROM removed AS r
        RETURNING 1 AS one
    ),

    logged AS (
        INSERT INTO scheduling.recurring_session_logs (
            template_id, session_id, occurrence_date, action, detail, actor, happened_at
        )
        SELECT
            p_template_id, r.removed_id, r.removed_date, 'removed', p_reason, coalesce(p_actor, session_user), p_now
        FROM removed AS r
        UNION ALL
        SELECT
            p_template_id, f.id, f.occ_date, 'kept', format('%s; %s', f.keep_reason, p_reason),
            coalesce(p_actor, session_user), p_now
        FROM future AS f
        WHERE f.keep_reason IS NOT NULL
        RETURNING 1 AS one
    )

    SELECT
        (SELECT count(*)::integer FROM removed),
        coalesce(
            (
                SELECT jsonb_agg(
                    jsonb_build_object(
                        'session_id', f.id, 'occurrence_date', f.occ_date, 'starts_at', f.starts_at,
                        'reason', f.keep_reason
                    )
                    ORDER BY f.starts_at, f.id
                )
                FROM future AS f
                WHERE f.keep_reason IS NOT NULL
            ),
            '[]'::jsonb
        )
    INTO v_removed, v_kept;

    RETURN jsonb_build_object('removed', v_removed, 'kept', v_kept);
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.remove_future_occurrences(uuid, text, text, timestamptz) IS
'Internal step of update_template, pause_template and end_template: soft-deletes the template''s future '
'(starts_at > p_now) scheduled sessions that nobody booked and nobody moved by hand (status deleted, deleted_at, '
'deleted_reason, deleted_from_status scheduled), detaching them from their occurrence date, with a history row '
'(scheduled -> deleted) and a removed log row each; booked and moved ones are '
'kept, logged as kept and returned. Returns {removed: n, kept: [{session_id, occurrence_date, starts_at, reason}]}.'
' Side effects: updates scheduling.sessions (soft delete, changed_at = p_now), inserts session_status_history and'
' recurring_session_logs rows; trigger sessions_replan_reminders cancels the removed sessions'' open reminders. '
'No NOTIFY.';
