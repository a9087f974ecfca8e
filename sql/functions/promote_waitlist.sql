CREATE OR REPLACE FUNCTION scheduling_internal.promote_waitlist(
    p_session_id uuid,
    p_now timestamptz DEFAULT now()
)
RETURNS integer
LANGUAGE plpgsql
AS $function$
DECLARE
    -- After a day the message that a seat was found is no longer worth sending.
    c_deadline CONSTANT interval := interval '24 hours';
    v_session scheduling.sessions;
    v_entry scheduling.waitlist_entries;
    v_booking_id uuid;
    v_person scheduling.people;
    v_host_name text;
    v_promoted integer := 0;
    v_policy scheduling.reminder_policies;
    v_language text;
    v_language_source text;
BEGIN
    PERFORM scheduling_internal.check_now('promote_waitlist', p_now);
    SELECT s.* INTO v_session FROM scheduling.sessions AS s WHERE s.id = p_session_id FOR UPDATE;
    IF NOT FOUND OR v_session.deleted_at IS NOT NULL OR v_session.status <> 'scheduled'
        OR v_session.starts_at <= p_now THEN
        RETURN 0;
    END IF;
    SELECT h.full_name INTO v_host_name FROM scheduling.people AS h WHERE h.id = v_session.host_id;
    v_policy := scheduling_internal.reminder_policy_of_session(v_session.id);

    LOOP
        SELECT s.* INTO v_session FROM scheduling.sessions AS s WHERE s.id = p_session_id;
        EXIT WHEN scheduling_internal.session_is_full(v_session.capacity, v_session.current_attendees);

        SELECT w.*
        INTO v_entry
        FROM scheduling.waitlist_entries AS w
        WHERE w.session_id = p_session_id AND w.status = 'waiting'
        ORDER BY w.id
        LIMIT 1
        FOR UPDATE;
        EXIT WHEN NOT FOUND;

        SELECT p.* INTO v_person FROM scheduling.people AS p WHERE p.id = v_entry.person_id;
        IF v_person.deleted_at IS NOT NULL OR EXISTS (
            SELECT 1
            FROM scheduling.bookings AS b
            WHERE b.session_id = p_session_id AND b.person_id = v_entry.person_id AND b.status <> 'cancelled'
        ) THEN
            UPDATE scheduling.waitlist_entries AS w SET status = 'cancelled' WHERE w.id = v_entry.id;
            CONTINUE;
        END IF;

        v_booking_id := scheduling.create_booking(
            p_session_id, v_entry.person_id, v_entry.order_reference, 'waitlist', p_now
        );
        UPDATE scheduling.waitlist_entries AS w
        SET status = 'promoted', booking_id = v_booking_id, promoted_at = p_now
        WHERE w.id = v_entry.id;
        UPDATE scheduling.order_items AS o
        SET booking_id = v_booking_id
        WHERE o.waitlist_entry_id = v_entry.id;

        -- Kind waitlist, seq 0: the claim re-checks that the booking is still confirmed and the session still
        -- scheduled on the same slot, and cancelling the booking or the session cancels this message too.
        SELECT m.language, m.language_source
        INTO v_language, v_language_source
        FROM scheduling_internal.message_language('waitlist_promoted', v_person.language, v_policy.language) AS m;
        INSERT INTO scheduling.reminders (
            reminder_key, booking_id, session_id, slot_version, slot_starts_at, kind, seq, person_id,
            template_name, language, language_source, parameters, due_at, deadline_at, state, next_attempt_at,
            state_reason, created_at, updated_at
        )
        VALUES (
            format('%s-waitlist-promoted', v_booking_id),
            v_booking_id,
            v_session.id,
            v_session.slot_version,
            v_session.starts_at,
            'waitlist',
            0,
            v_entry.person_id,
            'waitlist_promoted',
            v_language,
            v_language_source,
            scheduling_internal.reminder_parameters(
                v_person.full_name, v_session.title, v_host_name, v_session.starts_at, v_person.time_zone, p_now
            ),
            p_now,
            least(p_now + c_deadline, v_session.starts_at),
            'pending',
            p_now,
            'promoted from the waitlist',
            p_now,
            p_now
        )
        ON CONFLICT DO NOTHING;
        v_promoted := v_promoted + 1;
    END LOOP;

    RETURN v_promoted;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.promote_waitlist(uuid, timestamptz) IS
'Internal (trigger bookings_waitlist_promote): while the session (scheduled, not deleted, not started at '
'p_now) has a free seat, books the first waiting person of its waitlist through create_booking (actor '
'''waitlist'', reminders planned), marks the entry promoted and queues the WhatsApp message ''waitlist_promoted'' '
'(kind waitlist, key {booking_id}-waitlist-promoted, due at p_now; language: message_language, the person''s, '
'else the session policy''s, else ''en''). Entries of deleted or already booked people are '
'cancelled. Returns how many were booked.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off; SK058 the template in none of '
'the languages.'
' Side effects: locks the session row; per person promoted, create_booking''s (booking and booking_status_history'
' rows, reminders planned, sessions.current_attendees + 1), the waitlist entry marked promoted (entries of '
'deleted or already booked people cancelled), order_items linked to the booking and a waitlist_promoted message '
'inserted in scheduling.reminders (each logged in reminder_state_history by trigger reminders_history, which also'
' sends NOTIFY scheduling_reminders_due for a row due within a minute).';
