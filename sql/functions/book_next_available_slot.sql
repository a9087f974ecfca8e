-- SECURITY DEFINER: apps hold no table privileges; this function is how they change these rows, with its checks.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.book_next_available_slot(
    p_host_id uuid,
    p_person_id uuid,
    p_duration interval,
    p_after timestamptz DEFAULT NULL,
    p_step interval DEFAULT NULL,
    p_service text DEFAULT 'Appointment',
    p_reminder_policy text DEFAULT NULL,
    p_within interval DEFAULT interval '30 days',
    p_actor text DEFAULT session_user,
    p_now timestamptz DEFAULT now()
)
RETURNS TABLE (booking_id uuid, session_id uuid, starts_at timestamptz, ends_at timestamptz)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    v_time_zone text;
    v_from timestamptz;
    v_until timestamptz;
    v_chunk_from timestamptz;
    v_slot record;
BEGIN
    PERFORM scheduling_internal.check_actor_and_now('book_next_available_slot', p_actor, p_now);
    PERFORM scheduling_internal.check_slot_length('book_next_available_slot', p_duration, p_step);
    PERFORM scheduling_internal.check_time_range('book_next_available_slot: p_after', p_after);
    IF p_within IS NULL OR extract(EPOCH FROM p_within) <= 0 OR extract(EPOCH FROM p_within) > 366 * 86400 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK062',
            MESSAGE = format('book_next_available_slot: p_within %s must be more than zero and at most 366 days',
                coalesce(p_within::text, 'NULL'));
    END IF;

    -- The host's time lock first: two callers never both find the same free slot, the second one waits and then
    -- reads the session the first one made.
    PERFORM scheduling_internal.lock_host_time(p_host_id);
    v_time_zone := scheduling_internal.live_host_time_zone(p_host_id);

    -- A week at a time (each week's search reaching one slot past its end), so that the first free slot is found
    -- without computing the whole horizon.
    v_from := greatest(coalesce(p_after, p_now), p_now);
    v_until := v_from + extract(EPOCH FROM p_within) * interval '1 second';
    v_chunk_from := v_from;
    WHILE v_chunk_from < v_until LOOP
        SELECT f.starts_at, f.ends_at INTO v_slot
        FROM scheduling_internal.find_free_slots(
            p_host_id, v_time_zone, v_chunk_from,
            least(v_chunk_from + interval '168 hours' + extract(EPOCH FROM p_duration) * interval '1 second', v_until),
            p_duration, p_step, p_now
        ) AS f
        ORDER BY f.starts_at
        LIMIT 1;
        EXIT WHEN FOUND;
        v_chunk_from := v_chunk_from + interval '168 hours';
    END LOOP;
    IF v_slot.starts_at IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK064',
            MESSAGE = format(
                'host %s has no free slot of %s between %s and %s',
                p_host_id, p_duration, scheduling_internal.format_local_time(v_from, v_time_zone),
                scheduling_internal.format_local_time(v_until, v_time_zone)
            ),
            HINT = CASE
                WHEN NOT EXISTS (SELECT FROM scheduling.working_hours AS w WHERE w.host_id = p_host_id)
                    THEN 'The host has no weekly working hours (scheduling.set_working_hours).'
                ELSE 'Search further ahead (p_within, up to 366 days) or add hours (add_working_hours_exception).'
            END;
    END IF;

    booking_id := scheduling.create_appointment(
        p_host_id, p_person_id, p_service, v_slot.starts_at, v_slot.ends_at, p_reminder_policy, p_actor, p_now
    );
    SELECT b.session_id INTO session_id FROM scheduling.bookings AS b WHERE b.id = booking_id;
    starts_at := v_slot.starts_at;
    ends_at := v_slot.ends_at;
    RETURN NEXT;
END;
$function$;

COMMENT ON FUNCTION scheduling.book_next_available_slot(
    uuid, uuid, interval, timestamptz, interval, text, text, interval, text, timestamptz
) IS
'Books p_person_id into the earliest free slot of p_duration of host p_host_id (the grid of free_slots, step '
'p_step) starting at or after greatest(p_after, p_now) and within p_within of it (default 30 days, at most 366), '
'as an appointment titled p_service through create_appointment (reminders planned as usual, policy '
'p_reminder_policy). Takes the host''s time lock first, so concurrent callers book different slots, never the '
'same one. Returns the booking, its session and the slot. Errors: SK064 no free slot within the horizon (a host '
'without working hours has none); SK062 p_duration NULL, zero, negative or over one day, p_step under one minute, '
'p_within NULL, zero, negative or over 366 days; SK007 unknown or deleted host or person; SK016 unknown policy; '
'those of create_appointment.'
' Input limits: SK034 p_service, policy name or p_actor over 200 characters; SK009 p_after outside 1900 to 9999, '
'p_now NULL or infinite.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: those of create_appointment (session, booking and their history rows, reminders planned); takes '
'the host''s time lock until commit.';

GRANT EXECUTE ON FUNCTION scheduling.book_next_available_slot(
    uuid, uuid, interval, timestamptz, interval, text, text, interval, text, timestamptz
) TO sessionkeeper_app;
