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
    -- Poison rows are failed at most this many per call (the rest on the next call).
    c_sweep_limit CONSTANT integer := 1000;
    -- The window: the earliest due rows, this many times the batch (and at least c_window_min) of each kind.
    c_window_factor CONSTANT integer := 4;
    c_window_min CONSTANT integer := 100;
    v_spacing interval;
    v_max_lease_expiries integer;
    v_any_quiet boolean;
    v_window uuid[];
    v_quiet_ends jsonb := '{}';
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

    -- The worker_settings row is written by migration 0004; without it, the defaults.
    SELECT ws.recipient_spacing, ws.max_lease_expiries
    INTO v_spacing, v_max_lease_expiries
    FROM scheduling.worker_settings AS ws
    WHERE ws.singleton;
    v_spacing := coalesce(v_spacing, interval '6 seconds');
    v_max_lease_expiries := coalesce(v_max_lease_expiries, 3);

    -- Locks: the reminder FOR UPDATE, its booking, session and recipient FOR SHARE, all SKIP LOCKED. A
    -- cancel or reschedule in flight holds one of them, so its rows are skipped now and found closed later;
    -- one that committed after this statement began is seen by the re-check on the locked (latest) rows.

    -- 0. The window: the earliest due rows of recipients whose spacing allows a message (pending by
    -- next_attempt_at, leased with an expired lease by lease_expires_at, each read off its partial index),
    -- locked, a few times the batch. Steps 1, 3 and 4 look at these rows only, so a claim costs the same
    -- whatever the backlog; rows behind the window are reached as the ones ahead of them leave.
    WITH pending_window AS (
        SELECT r.id
        FROM scheduling.reminders AS r
        WHERE
            r.state = 'pending'
            AND r.next_attempt_at <= p_now
            AND NOT EXISTS (
                SELECT 1 FROM scheduling.recipient_pacing AS rp
                WHERE rp.person_id = r.person_id AND rp.next_allowed_at > p_now
            )
        ORDER BY r.next_attempt_at, r.id
        LIMIT greatest(least(p_limit, 100000) * c_window_factor, c_window_min)
        FOR UPDATE OF r SKIP LOCKED
    ),

    leased_window AS (
        SELECT r.id
        FROM scheduling.reminders AS r
        WHERE
            r.state = 'leased'
            AND r.lease_expires_at <= p_now
            AND NOT EXISTS (
                SELECT 1 FROM scheduling.recipient_pacing AS rp
                WHERE rp.person_id = r.person_id AND rp.next_allowed_at > p_now
            )
        ORDER BY r.lease_expires_at, r.id
        LIMIT greatest(least(p_limit, 100000) * c_window_factor, c_window_min)
        FOR UPDATE OF r SKIP LOCKED
    )

    SELECT coalesce(array_agg(w.id), '{}')
    INTO v_window
    FROM (
        SELECT pw.id FROM pending_window AS pw
        UNION ALL
        SELECT lw.id FROM leased_window AS lw
    ) AS w;

    -- 1. Rows of the window that fail the re-check: expired (deadline passed) or skipped, with the reason.
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
            r.id = ANY(v_window)
            AND (
                (r.state = 'pending' AND r.next_attempt_at <= p_now)
                OR (r.state = 'leased' AND r.lease_expires_at <= p_now)
            )
            AND scheduling_internal.reminder_block_reason(r, b, s, p, p_now) IS NOT NULL
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

    -- 2. Poison rows: leased with an expired lease for the max_lease_expiries-th time (claimed, never recorded:
    -- perhaps a message that crashes the worker). Failed instead of handed out again; retry_failed_reminders
    -- re-queues them. They may have been sent before the worker died: uncertain.
    WITH poisoned AS (
        SELECT
            r.id,
            p.time_zone
        FROM scheduling.reminders AS r
        INNER JOIN scheduling.people AS p ON r.person_id = p.id
        WHERE
            r.state = 'leased'
            AND r.lease_expires_at <= p_now
            AND r.lease_expiries + 1 >= v_max_lease_expiries
        ORDER BY r.lease_expires_at, r.id
        LIMIT c_sweep_limit
        FOR UPDATE OF r SKIP LOCKED
    )

    UPDATE scheduling.reminders AS r
    SET
        state = 'failed',
        lease_expiries = r.lease_expiries + 1,
        uncertain = TRUE,
        attempt_token = NULL,
        lease_expires_at = NULL,
        state_reason = format(
            'lease expired %s %s without an outcome being recorded: the message may crash the worker (last '
            'claimed by %s, lease ran out %s); sessionkeeper retry-failed re-queues it',
            r.lease_expiries + 1,
            CASE WHEN r.lease_expiries = 0 THEN 'time' ELSE 'times' END,
            r.leased_by,
            scheduling_internal.format_local_time(r.lease_expires_at, pz.time_zone)
        ),
        updated_at = p_now
    FROM poisoned AS pz
    WHERE r.id = pz.id;

    -- 3. Quiet hours hold at send time too (a retry, or a row claimed late because no worker ran): a due row
    -- whose recipient is inside the quiet hours of its session's policy at p_now waits, pending, until they end
    -- (a leased row whose lease expired is released: one more lease expiry, uncertain), or expires when they
    -- end at or after its deadline. No attempt is used and recipient_pacing is not touched. Skipped when no policy
    -- has quiet hours. Whether quiet hours hold is computed once per quiet hours and time zone in the window.
    v_any_quiet := EXISTS (SELECT 1 FROM scheduling.reminder_policies AS qp WHERE qp.quiet_start IS NOT NULL);
    IF v_any_quiet THEN
        SELECT
            coalesce(
                jsonb_object_agg(
                    format('%s %s %s', z.quiet_start, z.quiet_end, z.time_zone),
                    scheduling_internal.quiet_hours_end(p_now, z.time_zone, z.quiet_start, z.quiet_end)
                ),
                '{}'
            )
        INTO v_quiet_ends
        FROM (
            SELECT DISTINCT
                pol.quiet_start,
                pol.quiet_end,
                p.time_zone
            FROM scheduling.reminders AS r
            INNER JOIN scheduling.sessions AS s ON r.session_id = s.id
            INNER JOIN scheduling.people AS p ON r.person_id = p.id
            INNER JOIN scheduling.reminder_policies AS pol
                ON pol.id = s.reminder_policy_id OR (s.reminder_policy_id IS NULL AND pol.name = 'default')
            WHERE r.id = ANY(v_window) AND pol.quiet_start IS NOT NULL
        ) AS z;

        WITH quiet AS (
            SELECT
                r.id,
                q.ends_at,
                p.time_zone,
                format(
                    'quiet hours %s-%s (reminder policy %s) at %s',
                    to_char(pol.quiet_start, 'HH24:MI'),
                    to_char(pol.quiet_end, 'HH24:MI'),
                    pol.name,
                    scheduling_internal.format_local_time(p_now, p.time_zone)
                ) AS why
            FROM scheduling.reminders AS r
            INNER JOIN scheduling.sessions AS s ON r.session_id = s.id
            INNER JOIN scheduling.people AS p ON r.person_id = p.id
            INNER JOIN scheduling.reminder_policies AS pol
                ON pol.id = s.reminder_policy_id OR (s.reminder_policy_id IS NULL AND pol.name = 'default')
            CROSS JOIN LATERAL (
                SELECT
                    scheduling_internal.quiet_hours_end_known(
                        v_quiet_ends, p_now, p.time_zone, pol.quiet_start, pol.quiet_end
                    ) AS ends_at
            ) AS q
            WHERE
                r.id = ANY(v_window)
                AND (
                    (r.state = 'pending' AND r.next_attempt_at <= p_now)
                    OR (
                        r.state = 'leased' AND r.lease_expires_at <= p_now
                        AND r.lease_expiries + 1 < v_max_lease_expiries
                    )
                )
                AND pol.quiet_start IS NOT NULL
                AND q.ends_at IS NOT NULL
            FOR UPDATE OF r SKIP LOCKED
            FOR SHARE OF s, p SKIP LOCKED
        )

        UPDATE scheduling.reminders AS r
        SET
            state = (CASE WHEN qt.ends_at < r.deadline_at THEN 'pending' ELSE 'expired' END)::scheduling.reminder_state,
            next_attempt_at = CASE WHEN qt.ends_at < r.deadline_at THEN qt.ends_at ELSE r.next_attempt_at END,
            lease_expiries = r.lease_expiries + (r.state = 'leased')::integer,
            uncertain = r.uncertain OR r.state = 'leased',
            attempt_token = NULL,
            lease_expires_at = NULL,
            state_reason = CASE WHEN r.state = 'leased' THEN 'lease expired; ' ELSE '' END
            || CASE
                WHEN qt.ends_at < r.deadline_at
                    THEN format(
                        '%s: held until %s', qt.why, scheduling_internal.format_local_time(qt.ends_at, qt.time_zone)
                    )
                ELSE format(
                    '%s: they end %s, not before the deadline %s',
                    qt.why,
                    scheduling_internal.format_local_time(qt.ends_at, qt.time_zone),
                    scheduling_internal.format_local_time(r.deadline_at, qt.time_zone)
                )
            END,
            updated_at = p_now
        FROM quiet AS qt
        WHERE r.id = qt.id;
    END IF;

    -- 4. Rows of the window that pass it: leased to p_worker with a new attempt token, parameters rendered now. Per
    -- recipient: none while recipient_pacing holds them back, else only the earliest due (one per call).
    -- FOR UPDATE allows neither DISTINCT nor window functions, so the earliest due row per person in the window
    -- is chosen first, and only those are locked again, re-checked on their latest version, and limited. Rows
    -- failing the re-check were closed by step 1, poison rows by step 2, rows in quiet hours moved by step 3;
    -- one they could not reach (its booking, session or recipient locked) is not claimed either, and if it is
    -- its person's earliest, that person waits for the next call.
    RETURN QUERY
    WITH candidates AS (
        SELECT DISTINCT ON (r.person_id) r.id
        FROM scheduling.reminders AS r
        WHERE
            r.id = ANY(v_window)
            AND (
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
                OR (r.state = 'leased' AND r.lease_expires_at <= p_now AND r.lease_expiries + 1 < v_max_lease_expiries)
            )
            AND scheduling_internal.reminder_block_reason(r, b, s, p, p_now) IS NULL
            AND NOT (
                v_any_quiet AND EXISTS (
                    SELECT 1 FROM scheduling.reminder_policies AS pol
                    WHERE
                        (pol.id = s.reminder_policy_id OR (s.reminder_policy_id IS NULL AND pol.name = 'default'))
                        AND scheduling_internal.quiet_hours_end_known(
                            v_quiet_ends, p_now, p.time_zone, pol.quiet_start, pol.quiet_end
                        ) IS NOT NULL
                )
            )
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
            lease_expiries = r.lease_expiries + (r.state = 'leased')::integer,
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
'p_lease under a new attempt_token. It works on a window of the earliest due rows of recipients whose spacing '
'allows a message (4 times p_limit, at least 100, of pending and of lease-expired rows, locked SKIP LOCKED), so its '
'cost follows the batch, not the backlog; rows behind the window come forward as those ahead leave. First '
're-checks every row of the window (reminder_block_reason): rows that fail move '
'to skipped, or expired past their deadline, with the reason, and are not returned. Poison rows: a leased row '
'found with an expired lease counts one more lease_expiries; at worker_settings.max_lease_expiries (default 3, '
'set_max_lease_expiries) it becomes failed (uncertain, reason ''lease expired N times without an outcome being '
'recorded ...'') instead of being handed out again, and retry_failed_reminders re-queues it. Quiet hours hold '
'at claim time for every kind of row, first attempts, retries and late claims alike: a due row whose recipient '
'is inside the quiet hours of its session''s reminder policy (the ''default'' one when the session has none) at '
'p_now, in people.time_zone, is not returned: it becomes pending with next_attempt_at = the end of the quiet '
'hours (quiet_hours_end: across midnight, DST-correct) when that is before its deadline_at, else expired; the '
'reason names the quiet hours and their local end (format_local_time); a leased row is released (lease and '
'token cleared, one more lease expiry, uncertain); no attempt is used and recipient_pacing is not touched. '
'Parameters are rendered now: body_parameters in the template''s parameter_names order, rendered_text for the '
'console sender. attempt = this attempt''s number (attempts only counts recorded sends and failures). Per '
'recipient (WhatsApp pair rate limit, error 131056): at most one row per person per call (the earliest due), '
'none while the person''s recipient_pacing.next_allowed_at is after p_now (those stay pending, untouched, no '
'attempt used), and next_allowed_at = p_now + worker_settings.recipient_spacing for every person claimed. A row '
're-claimed after its lease expired is flagged uncertain (it may have been sent already). Errors: SK009 blank '
'worker, p_limit < 1; SK017 lease not positive.'
' Input limits: SK009 p_now NULL or infinite, SK034 p_worker over 200 characters.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: updates scheduling.reminders (claimed rows leased; rows failing the re-check skipped or expired;'
' poison rows failed; rows in quiet hours moved to their end or expired; lease_expiries counted), each state'
' change logged in reminder_state_history by trigger reminders_history; inserts or updates'
' scheduling.recipient_pacing for every person claimed.';

GRANT EXECUTE ON FUNCTION scheduling.claim_due_reminders(text, integer, interval, timestamptz) TO sessionkeeper_worker;
