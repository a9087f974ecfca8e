CREATE OR REPLACE FUNCTION scheduling.create_demo_data(p_now timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql
AS $function$
DECLARE
    v_host_id uuid;
    v_person_id uuid;
    v_booking_id uuid;
    v_bookings jsonb := '[]'::jsonb;
    v_hosts jsonb := '[]'::jsonb;
    v_customer record;
BEGIN
    PERFORM scheduling_internal.check_now('create_demo_data', p_now);
    -- The customers use the +1 555 01xx numbers reserved for fiction. The three haircuts are 15 seconds apart, and a
    -- barber cuts one head at a time: one barber per chair, made anew by each run (no phone), so that a second run
    -- never finds its barbers busy with the first run's appointments.
    FOR v_customer IN
        SELECT d.full_name, d.phone, d.time_zone, d.seconds_until_due, d.barber
        FROM (
            VALUES
            ('Lena Fischer (demo)', '+15555550101', 'Europe/Berlin', 15, 'Sam the Barber (demo)'),
            ('Kofi Mensah (demo)', '+15555550102', 'Africa/Accra', 30, 'Noor the Barber (demo)'),
            ('Aiko Tanaka (demo)', '+15555550103', 'Asia/Tokyo', 45, 'Ravi the Barber (demo)')
        ) AS d (full_name, phone, time_zone, seconds_until_due, barber)
    LOOP
        v_host_id := scheduling.create_person(v_customer.barber, NULL, 'America/New_York');
        v_hosts := v_hosts || jsonb_build_array(v_host_id);
        v_person_id := scheduling_internal.demo_person(
            v_customer.full_name, v_customer.phone, v_customer.time_zone, TRUE
        );
        -- The default policy reminds one hour before the start: start one hour after "due".
        v_booking_id := scheduling.create_appointment(
            v_host_id, v_person_id, 'Haircut',
            p_now + make_interval(hours => 1, secs => v_customer.seconds_until_due),
            p_now + make_interval(hours => 1, mins => 30, secs => v_customer.seconds_until_due),
            NULL, 'demo', p_now
        );
        v_bookings := v_bookings || jsonb_build_array(v_booking_id);
    END LOOP;

    -- One more appointment, cancelled at once: its cancellation message is due now.
    v_person_id := scheduling_internal.demo_person('Diego Ramos (demo)', '+15555550104', 'America/Mexico_City', TRUE);
    v_booking_id := scheduling.create_appointment(
        (v_hosts ->> 0)::uuid, v_person_id, 'Beard trim', p_now + interval '1 day', p_now + interval '1 day 30 minutes',
        NULL, 'demo', p_now
    );
    PERFORM scheduling.cancel_booking(v_booking_id, 'demo: the customer cancelled', 'demo', p_now);
    v_bookings := v_bookings || jsonb_build_array(v_booking_id);

    RETURN jsonb_build_object('host', v_hosts -> 0, 'hosts', v_hosts, 'bookings', v_bookings);
END;
$function$;

COMMENT ON FUNCTION scheduling.create_demo_data(timestamptz) IS
'Adds demo data for `sessionkeeper demo`: three barbers (one per chair: the haircuts overlap, a host is in one '
'session at a time), three customers whose appointment reminders fall due 15, 30 and 45 seconds after p_now '
'(default policy: one hour before), and a cancelled appointment whose cancellation message is due at once. Phone '
'numbers are fictional (+1 555 555 01xx). Returns {host (the first barber), hosts, bookings: [...]}. Run again, it '
'books the demo customers it made before (one live person per phone) with new barbers.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: inserts three barbers, and customers (create_person) unless they exist, sessions, bookings, '
'their history rows and reminders (create_appointment), and cancels one booking (cancel_booking: its reminders '
'cancelled, a cancellation message queued, NOTIFY scheduling_reminders_due).';
