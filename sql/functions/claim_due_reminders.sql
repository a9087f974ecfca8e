-- SECURITY DEFINER: the worker holds no table privileges; this is one of the few outbox calls it may make.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.claim_due_reminders(
    p_worker text,
    p_limit integer DEFAULT 50,
    p_lease interval DEFAULT '60 seconds',
    p_now timestamptz DEFAULT now()
)
RETURNS TABLE (
    reminder_id uuid,
    reminder_key text,
    attempt_token uuid,
    attempt integer,
    kind text,
    recipient_phone text,
    recipient_name text,
    recipient_time_zone text,
    template_name text,
    language text,
    whatsapp_template_name text,
    twilio_content_sid text,
    body_parameters jsonb,
    rendered_text text,
    due_at timestamptz,
    deadline_at timestamptz
)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    -- Rows that fail the re-check are closed at most this many per call (the rest on the next call).
    c_sweep_limit CONSTANT integer := 1000;
    v_spacing interval;
BEGIN
    PERFORM scheduling_internal.check_now('claim_due_reminders', p_now);
    IF p_worker IS NULL OR btrim(p_worker) = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'SK009', MESSAGE = 'claim_due_reminders: p_worker must not be blank';
    END IF;
    IF p_limit IS NULL OR p_limit < 1 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK009', MESSAGE = format('claim_due_reminders: p_limit must be 1 or more, not %s', p_limit);
    END IF;
    IF p_lease IS NULL OR p_lease <= interval '0' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK017', MESSAGE = format('claim_due_reminders: p_lease must be positive, not %s', p_lease);
    END IF;
    PERFORM scheduling_internal.check_text_length('claim_due_reminders: p_worker', p_worker, 'name');

    -- The worker_settings row is written by migration 0004; without it, its default.
    v_spacing := coalesce(
        (SELECT ws.recipient_spacing FROM scheduling.worker_settings AS ws WHERE ws.singleton),
        interval '6 seconds'
    );

    -- Locks: the reminder FOR UPDATE, its booking, session and recipient FOR SHARE, all SKIP LOCKED. A
    -- cancel or reschedule in flight holds one of them, so its rows are skipped now and found closed later;
    -- one that committed after this statement began is seen by the re-check on the locked (latest) rows.

    -- 1. Due rows that fail the re-check: expired (deadline passed) or skipped, with the reason.
    WITH doomed AS (
        SELECT
            r.id,
            r.deadline_at <= p_now AS is_expired,
            scheduling_internal.reminder_block_reason(r, b, s, p, p_now) AS why
        FROM scheduling.reminders AS r
        INNER JOIN scheduling.bookings AS b ON r.booking_id = b.id
        INNER JOIN scheduling.sessions AS s ON r.session_id = s.id
        INNER JOIN scheduling.people AS p ON r.person_id = p.id
        WHERE
            (
                (r.state = 'pending' AND r.next_attempt_at <= p_now)
                OR (r.state = 'leased' AND r.lease_expires_at <= p_now)
            )
            AND scheduling_internal.reminder_block_reason(r, b, s, p, p_now) IS NOT NULL
        ORDER BY r.next_attempt_at, r.id
        LIMIT c_sweep_limit
        FOR UPDATE OF r SKIP LOCKED
        FOR SHARE OF b, s, p SKIP LOCKED
    )

    UPDATE scheduling.reminders AS r
    SET
        state = (CASE WHEN d.is_expired THEN 'expired' ELSE 'skipped' END)::scheduling.reminder_state,
        state_reason = d.why,
        lease_expires_at = NULL,
        updated_at = p_now
    FROM doomed AS d
    WHERE r.id = d.id;

    -- 2. Due rows that pass it: leased to p_worker with a new attempt token, parameters rendered now. Per
    -- recipient: none while recipient_pacing holds them back, else only the earliest due (one per call).
    -- FOR UPDATE allows neither DISTINCT nor window functions, so the earliest due row per person is chosen
    -- first, without locks, and only those are locked, re-checked on their latest version, and limited. Rows
    -- failing the re-check were closed by step 1; one it could not close (locked, or over its limit) that is
    -- its person's earliest makes that person wait for the next call.
    RETURN QUERY
    WITH candidates AS (
        SELECT DISTINCT ON (r.person_id) r.id
        FROM scheduling.reminders AS r
        WHERE
            (
                (r.state = 'pending' AND r.next_attempt_at <= p_now)
                OR (r.state = 'leased' AND r.lease_expires_at <= p_now)
            )
            AND NOT EXISTS (
                SELECT 1 FROM scheduling.recipient_pacing AS rp
                WHERE rp.person_id = r.person_id AND rp.next_allowed_at > p_now
            )
        ORDER BY r.person_id, r.due_at, r.id
    ),

    picked AS (
        SELECT
            r.id,
            r.person_id,
            p.phone,
            p.full_name,
            p.time_zone,
            scheduling_internal.reminder_parameters(
                p.full_name, s.title, h.full_name, r.slot_starts_at, p.time_zone, p_now
            )
            AS params
        FROM candidates AS cd
        INNER JOIN scheduling.reminders AS r ON cd.id = r.id
        INNER JOIN scheduling.bookings AS b ON r.booking_id = b.id
        INNER JOIN scheduling.sessions AS s ON r.session_id = s.id
        INNER JOIN scheduling.people AS p ON r.person_id = p.id
        INNER JOIN scheduling.people AS h ON s.host_id = h.id
        WHERE
            (
                (r.state = 'pending' AND r.next_attempt_at <= p_now)
                OR (r.state = 'leased' AND r.lease_expires_at <= p_now)
            )
            AND scheduling_internal.reminder_block_reason(r, b, s, p, p_now) IS NULL
        ORDER BY r.due_at, r.id
        LIMIT p_limit
        FOR UPDATE OF r SKIP LOCKED
        FOR SHARE OF b, s, p SKIP LOCKED
    ),

    claimed AS (
        UPDATE scheduling.reminders AS r
        SET
            state = 'leased',
            -- Re-claimed after its lease expired: the worker that held it may have sent it before dying.
            uncertain = r.uncertain OR r.state = 'leased',
            attempt_token = gen_random_uuid(),
            leased_by = p_worker,
            lease_expires_at = p_now + p_lease,
            parameters = pk.params,
            state_reason = NULL,
            updated_at = p_now
        FROM picked AS pk
        WHERE r.id = pk.id
        RETURNING
            r.id AS c_id,
            r.reminder_key AS c_key,
            r.attempt_token AS c_token,
            r.attempts AS c_attempts,
            r.kind AS c_kind,
            r.template_name AS c_template_name,
            r.language AS c_language,
            r.parameters AS c_params,
            r.due_at AS c_due_at,
            r.deadline_at AS c_deadline_at
    ),

    paced AS (
        INSERT INTO scheduling.recipient_pacing AS rp (person_id, next_allowed_at)
        SELECT pk.person_id, p_now + v_spacing
        FROM claimed AS c
        INNER JOIN picked AS pk ON c.c_id = pk.id
        ON CONFLICT (person_id) DO UPDATE SET next_allowed_at = excluded.next_allowed_at
    )

    SELECT
        c.c_id,
        c.c_key,
        c.c_token,
        c.c_attempts + 1,
        c.c_kind::text,
        pk.phone,
        pk.full_name,
        pk.time_zone,
        c.c_template_name,
        c.c_language,
        t.whatsapp_template_name,
        t.twilio_content_sid,
        (
            SELECT coalesce(jsonb_agg(coalesce(c.c_params ->> pn.name, '') ORDER BY pn.ord), '[]'::jsonb)
            FROM unnest(t.parameter_names) WITH ORDINALITY AS pn (name, ord)
        ),
        scheduling_internal.render_template(t.body, c.c_params),
        c.c_due_at,
        c.c_deadline_at
    FROM claimed AS c
    INNER JOIN picked AS pk ON c.c_id = pk.id
    INNER JOIN scheduling.message_templates AS t ON c.c_template_name = t.name AND c.c_language = t.language
    ORDER BY c.c_due_at, c.c_id;
END;
$function$;

COMMENT ON FUNCTION scheduling.claim_due_reminders(text, integer, interval, timestamptz) IS
'The worker''s way in: claims up to p_limit due rows (pending with next_attempt_at <= p_now, or leased with '
'an expired lease), oldest due first, with FOR UPDATE SKIP LOCKED, leasing them to p_worker until p_now + '
'p_lease under a new attempt_token. First re-checks every due row (reminder_block_reason): rows that fail move '
'to skipped, or expired past their deadline, with the reason, and are not returned. Parameters are rendered '
'now: body_parameters in the template''s parameter_names order, rendered_text for the console sender. '
'attempt = this attempt''s number (attempts only counts recorded sends and failures). Per recipient (WhatsApp '
'pair rate limit, error 131056): at most one row per person per call (the earliest due), none while the '
'person''s recipient_pacing.next_allowed_at is after p_now (those stay pending, untouched, no attempt used), '
'and next_allowed_at = p_now + worker_settings.recipient_spacing for every person claimed. A row re-claimed '
'after its lease expired is flagged uncertain (it may have been sent already). Errors: SK009 blank worker, '
'p_limit < 1; SK017 lease not positive.'
' Input limits: SK009 p_now NULL or infinite, SK034 p_worker over 200 characters.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: updates scheduling.reminders (claimed rows leased; rows failing the re-check skipped or expired),'
' each logged in reminder_state_history by trigger reminders_history; inserts or updates '
'scheduling.recipient_pacing for every person claimed.';

GRANT EXECUTE ON FUNCTION scheduling.claim_due_reminders(text, integer, interval, timestamptz) TO sessionkeeper_worker;
