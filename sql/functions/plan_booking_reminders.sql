CREATE OR REPLACE FUNCTION scheduling_internal.plan_booking_reminders(
    p_booking_id uuid,
    p_now timestamptz DEFAULT now()
)
RETURNS integer
LANGUAGE plpgsql
AS $function$
DECLARE
    -- A bound on the rows one slot can plan (a short repeat interval far ahead).
    c_max_per_slot CONSTANT integer := 1000;
    v_booking scheduling.bookings;
    v_session scheduling.sessions;
    v_policy scheduling.reminder_policies;
    v_person scheduling.people;
    v_host_name text;
    v_key_prefix text;
    v_repeats integer := 0;
    v_quiet text;
    v_left interval;
    v_at_once boolean;
    v_planned text;
    v_too_close text;
    v_inserted integer;
    v_no_consent text;
    v_language text;
    v_language_source text;
BEGIN
    SELECT b.* INTO v_booking FROM scheduling.bookings AS b WHERE b.id = p_booking_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK010',
            MESSAGE = format('booking %s not found', coalesce(p_booking_id::text, 'NULL'));
    END IF;

    SELECT s.* INTO v_session FROM scheduling.sessions AS s WHERE s.id = v_booking.session_id;
    IF v_booking.status <> 'confirmed' OR v_session.status <> 'scheduled' OR v_session.deleted_at IS NOT NULL THEN
        RETURN 0;
    END IF;

    v_policy := scheduling_internal.reminder_policy_of_session(v_session.id);
    SELECT p.* INTO v_person FROM scheduling.people AS p WHERE p.id = v_booking.person_id;
    SELECT h.full_name INTO v_host_name FROM scheduling.people AS h WHERE h.id = v_session.host_id;
    -- Without WhatsApp consent every time is still written, skipped with the reason, so an operator sees why
    -- nothing goes out (the claim would skip them anyway). Consent given later does not reopen them.
    IF NOT v_person.whatsapp_consent THEN
        v_no_consent := 'recipient has not consented to WhatsApp messages';
    END IF;

    SELECT m.language, m.language_source
    INTO v_language, v_language_source
    FROM scheduling_internal.message_language(v_policy.reminder_template, v_person.language, v_policy.language) AS m;

    v_key_prefix := CASE
        WHEN v_session.slot_version = v_booking.booked_slot_version THEN v_booking.id::text
        ELSE format('%s-v%s', v_booking.id, v_session.slot_version)
    END;
    IF v_policy.repeat_every IS NOT NULL AND v_session.starts_at > v_booking.created_at THEN
        v_repeats := least(
            c_max_per_slot,
            ceil(
                extract(EPOCH FROM v_session.starts_at - v_booking.created_at)
                / extract(EPOCH FROM v_policy.repeat_every)
            )::integer
        );
    END IF;
    v_quiet := format(
        'quiet hours %s-%s (%s)',
        to_char(v_policy.quiet_start, 'HH24:MI'), to_char(v_policy.quiet_end, 'HH24:MI'), v_person.time_zone
    );

    -- Times already past at p_now (a late booking, a reschedule onto a slot starting soon, a waitlist promotion):
    -- one reminder at once when at least min_lead remains before the start, else none; each past time is written.
    v_left := v_session.starts_at - p_now;
    v_at_once := v_left > interval '0' AND v_left >= v_policy.min_lead;
    v_planned := format(
        '%s at %s',
        CASE WHEN v_session.slot_version = v_booking.booked_slot_version THEN 'booked' ELSE 'rescheduled' END,
        scheduling_internal.format_local_time(p_now, v_person.time_zone)
    );
    v_too_close := CASE
        WHEN v_left > interval '0'
            THEN format(
                '%s before the start, less than the policy''s min_lead of %s',
                scheduling_internal.human_duration(date_trunc('minute', v_left)),
                scheduling_internal.human_duration(v_policy.min_lead)
            )
        ELSE format(
            'not before the start %s', scheduling_internal.format_local_time(v_session.starts_at, v_person.time_zone)
        )
    END;

    -- Candidates: each offset before the start, and every repeat_every counted from the booking time;
    -- none at or after the start. Numbered by time over the whole slot, so keys do not depend on p_now.
    WITH candidate AS (
        SELECT v_session.starts_at - o.offset_value AS planned_at
        FROM unnest(v_policy.offsets) AS o (offset_value)
        UNION
        SELECT v_booking.created_at + k.n * v_policy.repeat_every AS planned_at
        FROM generate_series(1, v_repeats) AS k (n)
    ),

    numbered AS (
        SELECT
            c.planned_at,
            (row_number() OVER (ORDER BY c.planned_at))::integer AS seq
        FROM candidate AS c
        WHERE c.planned_at < v_session.starts_at
    ),

    -- ahead: at or after p_now. Past times: the latest one is sent at once (its seq keeps its key), the others
    -- are replaced by it; or all are late when less than min_lead is left.
    classified AS (
        SELECT
            n.seq,
            n.planned_at AS original_at,
            CASE
                WHEN n.planned_at >= p_now THEN 'ahead'
                WHEN NOT v_at_once THEN 'late'
                WHEN n.seq = max(n.seq) FILTER (WHERE n.planned_at < p_now) OVER () THEN 'at_once'
                ELSE 'replaced'
            END AS plan,
            max(n.seq) FILTER (WHERE n.planned_at < p_now) OVER () AS at_once_seq
        FROM numbered AS n
    ),

    placed AS (
        SELECT
            c.*,
            CASE WHEN c.plan = 'at_once' THEN p_now ELSE c.original_at END AS planned_at
        FROM classified AS c
    ),

    decided AS (
        SELECT
            pl.*,
            coalesce(q.moved_to, pl.planned_at) AS due,
            q.moved_to,
            coalesce(q.moved_to >= v_session.starts_at, FALSE) AS too_late,
            pl.plan IN ('late', 'replaced') AS past_skip
        FROM placed AS pl
        CROSS JOIN LATERAL (
            SELECT
                CASE
                    WHEN pl.plan IN ('ahead', 'at_once')
                        THEN scheduling_internal.quiet_hours_end(
                            pl.planned_at, v_person.time_zone, v_policy.quiet_start, v_policy.quiet_end
                        )
                END AS moved_to
        ) AS q
    ),

    deduped AS (
        SELECT
            d.*,
            first_value(d.seq) OVER (PARTITION BY d.due, d.too_late, d.past_skip ORDER BY d.seq) AS first_seq,
            CASE
                WHEN d.plan = 'at_once'
                    THEN format(
                        'due at once (%s, after its time %s)',
                        v_planned, scheduling_internal.format_local_time(d.original_at, v_person.time_zone)
                    )
            END AS at_once_note
        FROM decided AS d
    )

    INSERT INTO scheduling.reminders (
        reminder_key, booking_id, session_id, slot_version, slot_starts_at, kind, seq, person_id,
        template_name, language, language_source, parameters, due_at, deadline_at, state, next_attempt_at,
        state_reason, created_at, updated_at
    )
    SELECT
        format('%s-reminder-%s', v_key_prefix, dd.seq),
        v_booking.id,
        v_session.id,
        v_session.slot_version,
        v_session.starts_at,
        'reminder',
        dd.seq,
        v_booking.person_id,
        v_policy.reminder_template,
        v_language,
        v_language_source,
        scheduling_internal.reminder_parameters(
            v_person.full_name, v_session.title, v_host_name, v_session.starts_at, v_person.time_zone, dd.due
        ),
        CASE WHEN dd.too_late OR dd.past_skip THEN dd.planned_at ELSE dd.due END,
        v_session.starts_at,
        (
            CASE
                WHEN v_no_consent IS NOT NULL OR dd.too_late OR dd.past_skip OR dd.first_seq <> dd.seq THEN 'skipped'
                ELSE 'pending'
            END
        )::scheduling.reminder_state,
        CASE WHEN dd.too_late OR dd.past_skip THEN dd.planned_at ELSE dd.due END,
        CASE
            WHEN v_no_consent IS NOT NULL THEN v_no_consent
            WHEN dd.plan = 'late'
                THEN format(
                    '%s, %s: its time %s had passed',
                    v_planned, v_too_close, scheduling_internal.format_local_time(dd.original_at, v_person.time_zone)
                )
            WHEN dd.plan = 'replaced'
                THEN format(
                    '%s, after its time %s: replaced by %s-reminder-%s, sent at once',
                    v_planned, scheduling_internal.format_local_time(dd.original_at, v_person.time_zone),
                    v_key_prefix, dd.at_once_seq
                )
            WHEN dd.too_late
                THEN concat_ws(
                    ', then ',
                    dd.at_once_note,
                    format(
                        '%s: %s falls in them and they end at %s, not before the start %s',
                        v_quiet, scheduling_internal.format_local_time(dd.planned_at, v_person.time_zone), scheduling_internal.format_local_time(dd.moved_to, v_person.time_zone),
                        scheduling_internal.format_local_time(v_session.starts_at, v_person.time_zone)
                    )
                )
            WHEN dd.first_seq <> dd.seq AND dd.moved_to IS NULL
                THEN format(
                    'due at %s like %s-reminder-%s, sent at once', scheduling_internal.format_local_time(dd.due, v_person.time_zone), v_key_prefix, dd.first_seq
                )
            WHEN dd.first_seq <> dd.seq
                THEN format(
                    '%s: %s moved to %s, where %s-reminder-%s already is',
                    v_quiet, scheduling_internal.format_local_time(dd.planned_at, v_person.time_zone), scheduling_internal.format_local_time(dd.due, v_person.time_zone), v_key_prefix, dd.first_seq
                )
            WHEN dd.moved_to IS NOT NULL
                THEN concat_ws(
                    ', then ',
                    dd.at_once_note,
                    format('%s: moved from %s to their end', v_quiet, scheduling_internal.format_local_time(dd.planned_at, v_person.time_zone))
                )
            ELSE dd.at_once_note
        END,
        p_now,
        p_now
    FROM deduped AS dd
    ORDER BY dd.seq
    ON CONFLICT DO NOTHING;

    GET DIAGNOSTICS v_inserted = ROW_COUNT;
    RETURN v_inserted;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.plan_booking_reminders(uuid, timestamptz) IS
'Plans the reminder rows of a confirmed booking for its session''s current slot (nothing when the booking is '
'cancelled or the session is not scheduled or deleted), from the session''s policy: each offset before the '
'start and every repeat_every counted from the booking time, none at or after the start. '
'Times are numbered over the whole slot (keys {booking_id}-reminder-{n}, or {booking_id}-v{slot}-reminder-{n} '
'after a reschedule), and every time gets a row. Times already past at p_now (a late booking, a reschedule onto a '
'slot starting soon, a waitlist promotion): when at least the policy''s min_lead remains before the start, the '
'latest of them is due at once (p_now, under its own key) and the others are written skipped, replaced by it; '
'with less left, all are written skipped with the reason (the local time of booking, the time left, min_lead). '
'A time in quiet hours (one due at once included) moves to their end, or is written skipped with the reason when '
'that end is not before the start; two times due at the same moment keep the first, the other is skipped. '
'A recipient without WhatsApp consent gets every row written skipped, reason ''recipient has not consented to '
'WhatsApp messages''. Reasons show the recipient''s local time. ON CONFLICT DO NOTHING: planning twice never '
'duplicates. At most 1000 times per slot. Language: the policy''s reminder_template in the person''s language if '
'it exists there, else the policy''s, else ''en'' (message_language; language_source records which). Returns '
'rows written. Errors: SK010 unknown booking, SK016 no policy, SK058 template in none of the languages.'
' Side effects: inserts scheduling.reminders rows, each logged in reminder_state_history by trigger '
'reminders_history, which also sends NOTIFY scheduling_reminders_due for a row due within a minute.';
