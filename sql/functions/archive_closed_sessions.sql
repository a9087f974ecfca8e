-- SECURITY DEFINER: the cron role holds no table privileges; this job is what it may run.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.archive_closed_sessions(
    p_older_than interval DEFAULT '90 days',
    p_batch integer DEFAULT 1000,
    p_now timestamptz DEFAULT now()
)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    v_ids uuid [];
    v_booking_ids uuid [];
    v_reminder_ids uuid [];
    v_total integer := 0;
BEGIN
    PERFORM scheduling_internal.check_now('archive_closed_sessions', p_now);
    IF p_older_than IS NULL OR p_older_than <= INTERVAL '0' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK017', MESSAGE = format('archive age must be more than zero, not %s', p_older_than);
    END IF;
    IF p_batch IS NULL OR p_batch < 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'SK009', MESSAGE = format('archive batch must be 1 or more, not %s', p_batch);
    END IF;

    LOOP
        SELECT coalesce(array_agg(c.id), '{}')
        INTO v_ids
        FROM (
            SELECT s.id
            FROM scheduling.sessions AS s
            WHERE
                s.status IN ('completed', 'cancelled', 'no_show', 'deleted')
                AND s.ends_at < p_now - p_older_than
            ORDER BY s.ends_at, s.id
            LIMIT p_batch
            FOR UPDATE OF s SKIP LOCKED
        ) AS c;
        EXIT WHEN cardinality(v_ids) = 0;

        -- Locked: a delivery report or a reply that finds its reminder or booking waits until the move is
        -- committed, then finds it gone (an unmatched event, nothing to cancel) instead of naming an archived row.
        SELECT coalesce(array_agg(l.id), '{}') INTO v_booking_ids
        FROM (SELECT b.id FROM scheduling.bookings AS b WHERE b.session_id = ANY(v_ids) FOR UPDATE OF b) AS l;

        SELECT coalesce(array_agg(l.id), '{}') INTO v_reminder_ids
        FROM (
            SELECT r.id FROM scheduling.reminders AS r
            WHERE r.session_id = ANY(v_ids) OR r.booking_id = ANY(v_booking_ids)
            FOR UPDATE OF r
        ) AS l;

        -- Copy everything first, then delete children before parents: nothing is lost.
        -- By column name: sessions and their history gained columns after the archive tables were made (0006,
        -- 0013 to 0015), which the archive tables have after archived_at.
        INSERT INTO scheduling.sessions_archive
        SELECT (jsonb_populate_record(NULL::scheduling.sessions_archive, to_jsonb(s) || jsonb_build_object(
            'archived_at', p_now
        ))).*
        FROM scheduling.sessions AS s WHERE s.id = ANY(v_ids);
        INSERT INTO scheduling.session_status_history_archive
        SELECT (jsonb_populate_record(
            NULL::scheduling.session_status_history_archive, to_jsonb(h) || jsonb_build_object('archived_at', p_now)
        )).*
        FROM scheduling.session_status_history AS h WHERE h.session_id = ANY(v_ids);
        INSERT INTO scheduling.bookings_archive
        SELECT b.*, p_now FROM scheduling.bookings AS b WHERE b.id = ANY(v_booking_ids);
        INSERT INTO scheduling.booking_status_history_archive
        SELECT h.*, p_now FROM scheduling.booking_status_history AS h WHERE h.booking_id = ANY(v_booking_ids);
        INSERT INTO scheduling.reminders_archive
        SELECT r.*, p_now FROM scheduling.reminders AS r WHERE r.id = ANY(v_reminder_ids);
        INSERT INTO scheduling.reminder_state_history_archive
        SELECT h.*, p_now FROM scheduling.reminder_state_history AS h WHERE h.reminder_id = ANY(v_reminder_ids);
        INSERT INTO scheduling.provider_events_archive
        SELECT e.*, p_now FROM scheduling.provider_events AS e WHERE e.reminder_id = ANY(v_reminder_ids);
        INSERT INTO scheduling.inbound_messages_archive
        SELECT m.*, p_now FROM scheduling.inbound_messages AS m WHERE m.booking_id = ANY(v_booking_ids);

        DELETE FROM scheduling.inbound_messages AS m WHERE m.booking_id = ANY(v_booking_ids);
        DELETE FROM scheduling.provider_events AS e WHERE e.reminder_id = ANY(v_reminder_ids);

        DELETE FROM scheduling.reminder_state_history AS h WHERE h.reminder_id = ANY(v_reminder_ids);
        DELETE FROM scheduling.reminders AS r WHERE r.id = ANY(v_reminder_ids);
        DELETE FROM scheduling.booking_status_history AS h WHERE h.booking_id = ANY(v_booking_ids);
        DELETE FROM scheduling.bookings AS b WHERE b.id = ANY(v_booking_ids);
        DELETE FROM scheduling.session_status_history AS h WHERE h.session_id = ANY(v_ids);
        DELETE FROM scheduling.sessions AS s WHERE s.id = ANY(v_ids);

        v_total := v_total + cardinality(v_ids);
        EXIT WHEN cardinality(v_ids) < p_batch;
    END LOOP;

    RETURN v_total;
END;
$function$;

COMMENT ON FUNCTION scheduling.archive_closed_sessions(interval, integer, timestamptz) IS
'What pg_cron runs daily (job sessionkeeper-archive): moves closed sessions (completed, cancelled, no-show or '
'deleted) whose end is more than p_older_than before p_now into sessions_archive, with their history, '
'bookings, booking history, reminders and reminder history into the matching *_archive tables (same ids, '
'archived_at = p_now), and with them the delivery reports of those reminders (provider_events_archive) and the '
'replies whose booking_id names one of those bookings (inbound_messages_archive), so that no live row names an '
'archived one; the bookings and reminders are locked first, so a report or reply arriving meanwhile waits and '
'then finds them gone. p_batch sessions at a time until none is left; rows locked elsewhere wait for the next '
'run. Returns how many sessions it archived. Errors: SK017 age not positive, SK009 batch below 1 or NULL p_now.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: inserts into sessions_archive, session_status_history_archive, bookings_archive, '
'booking_status_history_archive, reminders_archive, reminder_state_history_archive, provider_events_archive and '
'inbound_messages_archive and deletes the same rows '
'from their live tables.';

GRANT EXECUTE ON FUNCTION scheduling.archive_closed_sessions(interval, integer, timestamptz) TO sessionkeeper_cron;
