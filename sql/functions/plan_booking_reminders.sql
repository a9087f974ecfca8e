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
    v_inserted integer;
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
    v_quiet := format('quiet hours %s-%s (%s)', v_policy.quiet_start, v_policy.quiet_end, v_person.time_zone);

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

    placed AS (
        SELECT
            n.seq,
            n.planned_at,
            scheduling_internal.quiet_hours_end(
                n.planned_at, v_person.time_zone, v_policy.quiet_start, v_policy.quiet_end
            ) AS moved_to
        FROM numbered AS n
        WHERE n.planned_at >= p_now
    ),

    decided AS (
        SELECT
            pl.seq,
            pl.planned_at,
            pl.moved_to,
            coalesce(pl.moved_to, pl.planned_at) AS due,
            coalesce(pl.moved_to >= v_session.starts_at, FALSE) AS too_late
        FROM placed AS pl
    ),

    deduped AS (
        SELECT
            d.*,
            first_value(d.seq) OVER (PARTITION BY d.due, d.too_late ORDER BY d.seq) AS first_seq
        FROM decided AS d
    )

    INSERT INTO scheduling.reminders (
        reminder_key, booking_id, session_id, slot_version, slot_starts_at, kind, seq, person_id,
        template_name, language, parameters, due_at, deadline_at, state, next_attempt_at, state_reason,
        created_at, updated_at
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
        v_policy.language,
        scheduling_internal.reminder_parameters(
            v_person.full_name, v_session.title, v_host_name, v_session.starts_at, v_person.time_zone, dd.due
        ),
        CASE WHEN dd.too_late THEN dd.planned_at ELSE dd.due END,
        v_session.starts_at,
        (CASE WHEN dd.too_late OR dd.first_seq <> dd.seq THEN 'skipped' ELSE 'pending' END)::scheduling.reminder_state,
        CASE WHEN dd.too_late THEN dd.planned_at ELSE dd.due END,
        CASE
            WHEN dd.too_late
                THEN format(
                    '%s: %s falls in them and they end at %s, not before the start %s',
                    v_quiet, dd.planned_at, dd.moved_to, v_session.starts_at
                )
            WHEN dd.first_seq <> dd.seq
                THEN format(
                    '%s: %s moved to %s, where %s-reminder-%s already is',
                    v_quiet, dd.planned_at, dd.due, v_key_prefix, dd.first_seq
                )
            WHEN dd.moved_to IS NOT NULL
                THEN format('%s: moved from %s to their end', v_quiet, dd.planned_at)
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
'start and every repeat_every counted from the booking time, none at or after the start, none before p_now. '
'Times are numbered over the whole slot (keys {booking_id}-reminder-{n}, or {booking_id}-v{slot}-reminder-{n} '
'after a reschedule); a time in quiet hours moves to their end, or is written skipped with the reason when '
'that end is not before the start; two times moved to the same end keep the first, the other is skipped. '
'ON CONFLICT DO NOTHING: planning twice never duplicates. At most 1000 times per slot. Returns rows written. '
'Errors: SK010 unknown booking, SK016 no policy.'
' Side effects: inserts scheduling.reminders rows, each logged in reminder_state_history by trigger '
'reminders_history, which also sends NOTIFY scheduling_reminders_due for a row due within a minute.';
